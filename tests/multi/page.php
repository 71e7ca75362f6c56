<?php
/*
 * tests/multi/page.php - one request of the multi-request flatness test (tests/multi/run).
 *
 * Every request does real allocation work and then ends in one of seven ways (MODES below):
 * normally, by a fatal E_USER_ERROR, by exceeding memory_limit, by exit() inside a destructor,
 * by an uncaught exception, by a bailout during compilation (parse error or "Cannot redeclare" in
 * an include), or normally after a heavy include + eval. A shutdown function prints one marker line
 *   @@end n=<n> mode=<mode> stage=<stage> type=<error type> sum=<checksum> msg=<error message>@@
 * that the driver counts to prove each ending really happened.
 *
 * SAPIs:
 *  - php-cgi -T N page.php: the same script runs N times in one process. The request number comes
 *    from a counter file in $ZMM_MULTI_DIR; the mode is MODES[n % 7]. When
 *    $ZMM_MULTI_SAMPLE_EVERY says so, the request first appends a sample (VmRSS,
 *    memory_get_usage(), figures from zmm_stats(true), zmm_check_heap()) to
 *    $ZMM_MULTI_DIR/samples.jsonl.
 *  - php -S 127.0.0.1:PORT page.php (router): GET /?n=N&mode=MODE runs one request;
 *    GET /stats returns the same sample as JSON, plus the raw zmm_stats(true) under "zmm_stats".
 *
 * The memory_limit mode rotates three variants (cycle % 3) and compile_error two (cycle % 2), so
 * the sequence repeats exactly every 42 requests.
 *
 * Environment: ZMM_MULTI_DIR (work directory, default sys_get_temp_dir()/zmm-multi-<uid>),
 * ZMM_MULTI_SAMPLE_EVERY (cgi: sample before each request of every k-th cycle of 7 requests;
 * 1 = before every request; 0 = never).
 */
declare(strict_types=1);

$zmm_usage_at_start = memory_get_usage();
$zmm_real_at_start = memory_get_usage(true);

const ZMM_MULTI_MODES = ['normal', 'fatal', 'memory_limit', 'exit_destructor', 'exception', 'compile_error', 'include_eval'];

$GLOBALS['zmm_stage'] = 'start';
$GLOBALS['zmm_sum'] = '-';

function zmm_multi_dir(): string
{
	$dir = getenv('ZMM_MULTI_DIR');
	if ($dir === false || $dir === '') {
		$dir = sys_get_temp_dir() . '/zmm-multi-' . getmyuid();
	}
	if (!is_dir($dir)) {
		@mkdir($dir, 0700, true);
	}
	return $dir;
}

/* Reads VmRSS and VmHWM (KiB) of a process from /proc. */
function zmm_multi_proc_kib(string $pid = 'self'): array
{
	$out = ['rss_kib' => -1, 'hwm_kib' => -1];
	$status = @file_get_contents("/proc/$pid/status");
	if ($status !== false) {
		if (preg_match('/^VmRSS:\s+(\d+) kB/m', $status, $m)) {
			$out['rss_kib'] = (int)$m[1];
		}
		if (preg_match('/^VmHWM:\s+(\d+) kB/m', $status, $m)) {
			$out['hwm_kib'] = (int)$m[1];
		}
	}
	return $out;
}

/* One sample of the process state, taken before the request does any work. */
function zmm_multi_sample(int $n, int $usage, int $real): array
{
	$s = ['n' => $n, 'pid' => getmypid(), 'sapi' => PHP_SAPI, 'usage' => $usage, 'real' => $real]
		+ zmm_multi_proc_kib();
	$st = function_exists('opcache_get_status') ? @opcache_get_status(false) : false;
	$s['opcache'] = is_array($st) && !empty($st['opcache_enabled']);
	$s['zmm'] = null;
	if (function_exists('zmm_enabled')) {
		$s['zmm'] = ['enabled' => zmm_enabled()];
		if ($s['zmm']['enabled']) {
			$z = zmm_stats(true);
			$c = zmm_check_heap();
			if (is_array($z)) {
				$s['zmm'] += [
					'storage' => $z['storage'],
					'segments' => $z['segments']['count'],
					'peak_segments' => $z['segments']['peak_count'],
					'used' => $z['memory']['used'],
					'real' => $z['memory']['real'],
					'cached' => $z['memory']['cached'],
					'requests' => $z['counters']['requests'],
					'foreign_frees' => $z['counters']['foreign_frees'],
					'segments_allocated' => $z['counters']['segments_allocated'],
					'segments_released' => $z['counters']['segments_released'],
					'limit_errors' => $z['counters']['limit_errors'],
				];
			} else {
				$s['zmm']['stats_error'] = 'zmm_stats(true) returned ' . var_export($z, true);
			}
			$s['zmm']['check_ok'] = is_array($c) && $c['ok'] === true;
			$s['zmm']['check_errors'] = is_array($c) ? (is_array($c['errors']) ? count($c['errors']) : (int)$c['errors']) : -1;
		}
	}
	return $s;
}

/* Node objects make cycles, dynamic properties off, typed props. */
final class ZmmMultiNode
{
	public array $children = [];
	public ?ZmmMultiNode $parent = null;

	public function __construct(public int $id, public string $label, public array $tags)
	{
	}
}

/* Allocation work: objects, cycles, arrays, strings of many sizes, a block bigger than a segment,
 * partial frees (fragmentation), sorting, JSON and serialize round trips. Deterministic: returns a
 * checksum that must be identical in every request and natively. */
function zmm_multi_work(int $scale = 1): string
{
	$h = hash_init('crc32b');
	$nodes = [];
	for ($i = 0; $i < 600 * $scale; $i++) {
		$node = new ZmmMultiNode($i, str_repeat(chr(65 + $i % 26), $i % 700 + 1), range(0, $i % 17));
		if ($i > 0) {
			$node->parent = $nodes[intdiv($i - 1, 3)];
			$node->parent->children[] = $node;        /* parent <-> child cycles */
		}
		$nodes[] = $node;
	}
	$map = [];
	for ($i = 0; $i < 3000 * $scale; $i++) {
		$map["key-$i"] = [$i, (string)($i * 7), $i / 4, str_repeat('v', $i % 90)];
	}
	$strings = [];
	foreach ([1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 120, 250, 500, 520, 521, 1000, 3072, 3073, 5000, 40000, 100000] as $len) {
		$strings[] = str_repeat(chr(97 + $len % 26), $len);
	}
	$big = str_repeat('B', 1 << 20);                /* > the default segment size (256K): a huge block */
	$big .= 'tail';                                  /* realloc of a huge block */
	hash_update($h, (string)strlen($big));
	unset($big);
	for ($i = 0; $i < count($nodes); $i += 2) {   /* free every other node: holes */
		$nodes[$i]->children = [];
	}
	for ($i = 0; $i < 3000 * $scale; $i += 3) {
		unset($map["key-$i"]);
	}
	usort($strings, static fn(string $a, string $b): int => strlen($b) <=> strlen($a) ?: strcmp($a, $b));
	foreach ($strings as $s) {
		hash_update($h, substr($s, 0, 3) . strlen($s));
	}
	$json = json_encode($map, JSON_THROW_ON_ERROR);
	$back = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
	hash_update($h, (string)count($back) . md5($json));
	$ser = serialize(array_slice($nodes, 0, 200));
	$un = unserialize($ser);
	hash_update($h, (string)strlen($ser) . count($un));
	$words = explode(' ', implode(' ', array_map(static fn(ZmmMultiNode $n): string => $n->label . $n->id, $nodes)));
	sort($words);
	hash_update($h, implode(',', array_slice($words, 0, 50)));
	$sb = '';
	for ($i = 0; $i < 2000 * $scale; $i++) {
		$sb .= sprintf('%05d:%s;', $i, dechex($i * 2654435761 % 4294967296));
	}
	hash_update($h, md5($sb) . preg_replace('/[0-9]+/', '#', substr($sb, 0, 64)));
	hash_update($h, (string)count($nodes) . '/' . count($map));
	return hash_final($h);
}

function zmm_multi_generate_includes(string $dir): void
{
	$heavy = "$dir/heavy.inc.php";
	if (!is_file($heavy)) {
		$code = "<?php\n/* generated by tests/multi/page.php: many functions, classes and constant strings */\n";
		for ($i = 0; $i < 300; $i++) {
			$code .= "function zmm_heavy_f$i(int \$x): string { static \$calls = 0; \$calls++; "
				. "\$a = ['const string $i alpha', 'const string $i beta', \"interp \$x $i\"]; "
				. "return implode('|', \$a) . str_repeat('$i', \$x % 5); }\n";
		}
		for ($i = 0; $i < 40; $i++) {
			$code .= "class ZmmHeavyC$i { const NAME = 'class constant $i'; const LIST = ['a$i', 'b$i', 'c$i'];\n"
				. "  public array \$data = ['x' => $i, 'y' => 'prop $i'];\n"
				. "  public function m(int \$k): string { return self::NAME . \$k . implode(',', self::LIST); }\n"
				. "  public static function s(): array { return [__CLASS__, __FUNCTION__, $i]; } }\n";
		}
		$code .= "return 'heavy loaded';\n";
		file_put_contents("$heavy.tmp." . getmypid(), $code);
		rename("$heavy.tmp." . getmypid(), $heavy);
	}
	if (!is_file("$dir/broken.inc.php")) {
		file_put_contents("$dir/broken.inc.php", "<?php\n\$ok = ['a' => 1];\nfunction zmm_broken( { return 1; }\n");
	}
	if (!is_file("$dir/redeclare.inc.php")) {
		file_put_contents("$dir/redeclare.inc.php", "<?php\nfunction zmm_multi_declared_once(): int { return 2; }\n");
	}
}

function zmm_multi_declared_once(): int
{
	return 1;
}

final class ZmmMultiExitOnDestruct
{
	public function __construct(public array $payload)
	{
	}

	public function __destruct()
	{
		$GLOBALS['zmm_stage'] = 'dtor-exit';
		exit(0);
	}
}

function zmm_multi_throw_deep(int $depth, array $carry): never
{
	$carry[] = str_repeat('frame', $depth + 10);
	if ($depth === 0) {
		throw new RuntimeException('zmm-multi uncaught exception with ' . count($carry) . ' frames');
	}
	zmm_multi_throw_deep($depth - 1, $carry);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

$dir = zmm_multi_dir();
$every = (int)(getenv('ZMM_MULTI_SAMPLE_EVERY') ?: 0);

if (PHP_SAPI === 'cli-server') {
	$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
	if ($path === '/stats') {
		header('Content-Type: application/json');
		$sample = zmm_multi_sample((int)($_GET['n'] ?? -1), $zmm_usage_at_start, $zmm_real_at_start);
		$sample['zmm_stats'] = function_exists('zmm_stats') ? zmm_stats(true) : false;   /* the raw figures */
		echo json_encode($sample);
		return;
	}
	header('Content-Type: text/plain');
	$n = (int)($_GET['n'] ?? 0);
	$mode = (string)($_GET['mode'] ?? ZMM_MULTI_MODES[$n % count(ZMM_MULTI_MODES)]);
} else {
	$counter = "$dir/counter";
	$n = is_file($counter) ? (int)file_get_contents($counter) : 0;
	file_put_contents($counter, (string)($n + 1));
	$mode = ZMM_MULTI_MODES[$n % count(ZMM_MULTI_MODES)];
	if ($every > 0 && intdiv($n, count(ZMM_MULTI_MODES)) % $every === 0) {
		$sample = zmm_multi_sample($n, $zmm_usage_at_start, $zmm_real_at_start);
		file_put_contents("$dir/samples.jsonl", json_encode($sample) . "\n", FILE_APPEND);
		unset($sample);
	}
}
if (!in_array($mode, ZMM_MULTI_MODES, true)) {
	echo "@@end n=$n mode=unknown stage=start type=0 sum=- msg=unknown mode@@\n";
	return;
}
$GLOBALS['zmm_n'] = $n;
$GLOBALS['zmm_mode'] = $mode;
zmm_multi_generate_includes($dir);

register_shutdown_function(static function (): void {
	$e = error_get_last();
	$msg = $e === null ? '' : preg_replace('/\s+/', ' ', substr($e['message'], 0, 90));
	printf("\n@@end n=%d mode=%s stage=%s type=%d sum=%s msg=%s@@\n", $GLOBALS['zmm_n'], $GLOBALS['zmm_mode'],
		$GLOBALS['zmm_stage'], $e['type'] ?? 0, $GLOBALS['zmm_sum'], $msg);
});

$variant = intdiv($n, count(ZMM_MULTI_MODES));
$fh = fopen('php://memory', 'w+');                 /* a live resource at every kind of exit */
fwrite($fh, str_repeat('r', 10000));
$keep = new ZmmMultiNode(-1, 'kept', [1, 2, 3]);
$keep->children[] = $keep;                         /* a cycle still alive at the end */

switch ($mode) {
	case 'normal':
		$GLOBALS['zmm_sum'] = zmm_multi_work();
		gc_collect_cycles();
		$GLOBALS['zmm_stage'] = 'done';
		break;

	case 'fatal':
		$GLOBALS['zmm_sum'] = zmm_multi_work();
		$garbage = array_fill(0, 2000, str_repeat('g', 100));
		$GLOBALS['zmm_stage'] = 'before-fatal';
		trigger_error('zmm-multi fatal E_USER_ERROR', E_USER_ERROR);
		$GLOBALS['zmm_stage'] = 'after-fatal';   /* must never run */
		break;

	case 'memory_limit':
		zmm_multi_work();
		ini_set('memory_limit', '16M');
		$GLOBALS['zmm_stage'] = 'before-oom';
		$hold = [];
		switch ($variant % 3) {
			case 0:                                    /* many small and medium blocks (infallible) */
				for ($i = 0; ; $i++) {
					$hold[] = str_repeat('m', 100 + $i % 3000) . $i;
				}
			case 1:                                    /* a doubling huge block */
				$s = str_repeat('h', 1 << 20);
				for (;;) {
					$s .= $s;
				}
			default:                                   /* fallible implode() results */
				$parts = array_fill(0, 20000, str_repeat('p', 200));
				for (;;) {
					$hold[] = implode(',', $parts);
				}
		}
		// no break: unreachable
	case 'exit_destructor':
		$GLOBALS['zmm_sum'] = zmm_multi_work();
		$o = new ZmmMultiExitOnDestruct(array_fill(0, 500, 'payload'));
		$GLOBALS['zmm_stage'] = 'before-dtor';
		unset($o);                                     /* __destruct calls exit() */
		$GLOBALS['zmm_stage'] = 'after-dtor';          /* must never run */
		break;

	case 'exception':
		$GLOBALS['zmm_sum'] = zmm_multi_work();
		$GLOBALS['zmm_stage'] = 'before-throw';
		zmm_multi_throw_deep(20, [new ZmmMultiNode(-2, 'in flight', [])]);
		// no break: unreachable
	case 'compile_error':
		$GLOBALS['zmm_sum'] = zmm_multi_work();
		$GLOBALS['zmm_stage'] = 'before-include';
		if ($variant % 2 === 0) {
			include "$dir/broken.inc.php";             /* uncaught ParseError: E_PARSE */
		} else {
			include "$dir/redeclare.inc.php";          /* Cannot redeclare: E_COMPILE_ERROR */
		}
		$GLOBALS['zmm_stage'] = 'after-include';       /* must never run */
		break;

	case 'include_eval':
		$r = include "$dir/heavy.inc.php";
		$h = hash_init('crc32b');
		hash_update($h, $r);
		for ($i = 0; $i < 300; $i += 7) {
			hash_update($h, ('zmm_heavy_f' . $i)($i));
		}
		for ($i = 0; $i < 40; $i++) {
			$cls = "ZmmHeavyC$i";
			$obj = new $cls();
			hash_update($h, $obj->m($i) . implode(',', $cls::s()));
		}
		for ($i = 0; $i < 60; $i++) {
			/* fresh code and literals every request: compiled and interned per request */
			$v = eval("return ['eval literal $n $i', 'const eval string $i', str_repeat('e', $i)];");
			hash_update($h, $v[1] . $v[2]);
			eval("function zmm_eval_fn_$i(): string { return 'eval fn $i' . " . var_export(str_repeat('q', $i), true) . "; }");
			hash_update($h, ('zmm_eval_fn_' . $i)());
		}
		$GLOBALS['zmm_sum'] = hash_final($h) . '-' . zmm_multi_work();
		$GLOBALS['zmm_stage'] = 'done';
		break;
}
