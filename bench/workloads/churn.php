<?php
/* Object and array churn with mixed sizes: a ring of 4096 slots where every iteration replaces a
 * random slot with a freshly built object, packed array, hash, string or nested structure. Most
 * blocks are small (16-512 B), some medium (up to ~20 KB); every replacement frees the old value. */
require __DIR__ . '/_common.php';

final class Node
{
	public array $children = [];
	public function __construct(public int $id, public string $label, public ?Node $parent = null) {}
	public function weight(): int { return $this->id + strlen($this->label) + count($this->children); }
}

mt_srand(7);
$sum = new BenchSum();
$iters = bench_n(2000000);
$slots = 4096;
$ring = array_fill(0, $slots, null);

for ($i = 0; $i < $iters; $i++) {
	$k = mt_rand(0, $slots - 1);
	switch ($i % 8) {
	case 0:
		$n = new Node($i, str_repeat('n', mt_rand(1, 120)));
		$n->children[] = new Node($i + 1, 'c', $n);
		$ring[$k] = $n;
		break;
	case 1:
		$ring[$k] = array_fill(0, mt_rand(1, 96), $i);
		break;
	case 2:
		$ring[$k] = ['id' => $i, 'name' => "name$i", 'tags' => ['a', 'b', $i % 7], 'score' => $i * 0.5];
		break;
	case 3:
		$ring[$k] = str_repeat('x', mt_rand(1, 2000));
		break;
	case 4:
		$o = new stdClass();
		$o->x = $i;
		$o->y = [$i, "s$i"];
		$o->{'dyn' . ($i % 13)} = $i;
		$ring[$k] = $o;
		break;
	case 5:
		$h = [];
		$m = mt_rand(1, 40);
		for ($j = 0; $j < $m; $j++) {
			$h["k$j"] = $j;
		}
		$ring[$k] = $h;
		break;
	case 6:
		$ring[$k] = mt_rand(0, 15) === 0 ? range(0, mt_rand(200, 2500)) : [$i];
		break;
	default:
		$v = $ring[mt_rand(0, $slots - 1)];
		if (is_array($v)) {
			$v[] = $i;              /* copy on write: duplicates the array */
			$ring[$k] = $v;
		} elseif ($v instanceof Node) {
			$sum->add($v->weight());
			$ring[$k] = null;
		} else {
			$ring[$k] = "v$i";
		}
	}
}

foreach ($ring as $v) {
	if (is_array($v)) {
		$sum->add(count($v));
	} elseif (is_object($v)) {
		$sum->add(get_class($v));
	} elseif (is_string($v)) {
		$sum->add(strlen($v));
	} else {
		$sum->add(0);
	}
}
$sum->out('churn');
