<?php
/* A typical page-like request for `php-cgi -T N`: loads "config" and "rows" (arrays of hashes),
 * runs a small router and a template engine with output buffering, escapes and formats every cell,
 * builds a JSON payload, a query-string and a navigation menu. Each request is independent; the
 * allocator's per-request start-up and reset costs count. BENCH_ROWS (default 120) sets its size. */
date_default_timezone_set('UTC');

$rowsN = (int)(getenv('BENCH_ROWS') ?: 120);
$config = [
	'site' => ['title' => 'zmm bench & co', 'base' => '/app', 'lang' => 'en'],
	'menu' => ['home' => 'Home', 'products' => 'Products', 'about' => 'About us', 'contact' => 'Contact'],
	'currency' => 'EUR',
	'features' => array_fill_keys(['search', 'cart', 'reviews', 'wishlist'], true),
];

final class Product
{
	public function __construct(
		public int $id, public string $name, public float $price, public array $tags, public int $stock, public int $ts
	) {}
	public function url(string $base): string { return $base . '/p/' . $this->id . '-' . strtolower(str_replace(' ', '-', $this->name)); }
}

function load_rows(int $n): array
{
	$rows = [];
	$adj = ['Red', 'Big', 'Small', 'Fast', 'Quiet', 'Smart', 'Old <b>', 'New & shiny'];
	$noun = ['Chair', 'Table', 'Lamp', 'Phone', 'Book', 'Bike', 'Kettle', 'Desk'];
	for ($i = 0; $i < $n; $i++) {
		$rows[] = new Product(
			1000 + $i,
			$adj[$i % 8] . ' ' . $noun[($i * 3) % 8] . ' ' . ($i % 17),
			round(9.99 + ($i * 7.31) % 500, 2),
			array_slice(['sale', 'eco', 'hot', 'new', 'refurb'], $i % 5, 1 + $i % 3),
			($i * 13) % 40,
			1700000000 + $i * 86400
		);
	}
	return $rows;
}

function e(string $s): string { return htmlspecialchars($s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8'); }

function render(string $tpl, array $vars): string
{
	ob_start();
	extract($vars);
	eval('?>' . $tpl);
	return ob_get_clean();
}

$route = '/products/page/2?sort=price&dir=asc';
$parts = parse_url($route);
parse_str($parts['query'] ?? '', $query);
$segments = array_values(array_filter(explode('/', $parts['path'])));

$rows = load_rows($rowsN);
usort($rows, static fn(Product $a, Product $b) => $query['dir'] === 'asc' ? $a->price <=> $b->price : $b->price <=> $a->price);

$rowTpl = '<tr class="<?= $cls ?>"><td><?= $id ?></td><td><a href="<?= e($url) ?>"><?= e($name) ?></a></td>'
        . '<td><?= $price ?></td><td><?= implode(", ", array_map("e", $tags)) ?></td><td><?= $date ?></td>'
        . '<td><?= $stock > 0 ? "in stock ($stock)" : "sold out" ?></td></tr>' . "\n";
$body = '';
foreach ($rows as $i => $p) {
	$body .= render($rowTpl, [
		'cls' => $i % 2 ? 'odd' : 'even',
		'id' => $p->id,
		'url' => $p->url($config['site']['base']),
		'name' => $p->name,
		'price' => number_format($p->price, 2, ',', '.') . ' ' . $config['currency'],
		'tags' => $p->tags,
		'date' => date('D, d M Y', $p->ts),
		'stock' => $p->stock,
	]);
}

$menu = '';
foreach ($config['menu'] as $slug => $label) {
	$active = ($segments[0] ?? '') === $slug ? ' class="active"' : '';
	$menu .= sprintf('<li%s><a href="%s/%s?%s">%s</a></li>', $active, $config['site']['base'], $slug,
		http_build_query(['ref' => 'nav', 'q' => $query]), e($label));
}

$json = json_encode(array_map(static fn(Product $p) => ['id' => $p->id, 'n' => $p->name, 'p' => $p->price, 't' => $p->tags], $rows));
$decoded = json_decode($json, true);
$stats = [
	'count' => count($decoded),
	'avg' => round(array_sum(array_column($decoded, 'p')) / max(1, count($decoded)), 2),
	'tags' => array_count_values(array_merge(...array_column($decoded, 't'))),
];
ksort($stats['tags']);

$layout = <<<'HTML'
<!doctype html><html lang="<?= $lang ?>"><head><title><?= e($title) ?></title></head>
<body><nav><ul><?= $menu ?></ul></nav><h1><?= e($title) ?> - <?= e(ucfirst($segments[0])) ?></h1>
<table><?= $body ?></table>
<footer><?= $stats['count'] ?> products, average <?= $stats['avg'] ?>; tags: <?= e(json_encode($stats['tags'])) ?>
<script>var data = <?= strlen($json) ?>;</script></footer></body></html>
HTML;
echo render($layout, ['lang' => $config['site']['lang'], 'title' => $config['site']['title'], 'menu' => $menu,
	'segments' => $segments, 'body' => $body, 'stats' => $stats, 'json' => $json]);
echo "\n<!-- md5:", md5($body . $menu . $json), " -->\n";
