<?php
/* Large arrays that make huge blocks: range() and array_fill() of 10^5..10^6 elements, copies
 * (array_map, array_merge, array_slice), hashes (array_flip, array_combine, string keys), sorting
 * and growth by appending, then everything dies each round. */
require __DIR__ . '/_common.php';

mt_srand(13);
$sum = new BenchSum();
$rounds = bench_n(10);

for ($r = 0; $r < $rounds; $r++) {
	$n = 200000 + 25000 * ($r % 5);                      /* 3.2-4.8 MB packed: huge blocks */
	$a = range(1, $n);
	$b = array_fill(0, $n, $r);
	$c = array_map(static fn(int $x): int => $x * 3 + 1, $a);
	$sum->add(array_sum($c) & 0x7fffffff);
	$m = array_merge($a, $b);                                /* 2n */
	$sum->add(count($m));
	$f = array_flip($a);                                     /* hash of n int keys */
	$sum->add($f[$n >> 1]);
	$sl = array_slice($m, $n >> 2, $n);
	$sum->add(count($sl));
	unset($b, $c, $m, $sl, $f);

	/* string-keyed hash, grown by insertion (rehash at each doubling) */
	$h = [];
	for ($i = 0; $i < 75000; $i++) {
		$h['key' . $i] = $i;
	}
	$sum->add(count($h));
	$keys = array_keys($h);
	shuffle($keys);
	$sum->add($keys[0]);
	$comb = array_combine($keys, $a = array_slice($a, 0, 75000));
	unset($keys);
	ksort($comb);
	$sum->add((string)array_key_first($comb));
	unset($h, $comb);

	/* growth by append from empty (packed doubling), then sort a copy */
	$g = [];
	for ($i = 0; $i < 150000; $i++) {
		$g[] = ($i * 2654435761) & 0xfffff;
	}
	$s = $g;
	sort($s);
	$sum->add($s[12345]);
	$u = array_unique($s);
	$sum->add(count($u));
	unset($g, $s, $u, $a);

	/* arrays of arrays (many medium hashes in one huge packed array) */
	$rows = array_fill(0, 20000, null);
	foreach ($rows as $i => $_) {
		$rows[$i] = ['id' => $i, 'v' => $i * $r, 'name' => "row$i"];
	}
	$col = array_column($rows, 'v', 'name');
	$sum->add(count($col));
	unset($rows, $col);
}
$sum->out('bigarrays');
