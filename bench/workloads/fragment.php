<?php
/* Long-lived fragmentation: alternating small and large lifetimes. Each generation allocates
 * small strings that live for many generations interleaved with medium/large blocks (1-200 KB)
 * that die quickly, then frees a random half of the survivors and refills the holes with blocks of
 * other sizes. A heap that cannot reuse the holes keeps growing (peak RSS shows it). */
require __DIR__ . '/_common.php';

mt_srand(23);
$sum = new BenchSum();
$gens = bench_n(300);
$keep = [];                 /* long-lived small blocks, bounded */
$mid = [];                  /* medium-lived medium blocks, FIFO of 64 */
$cap = 60000;

for ($g = 0; $g < $gens; $g++) {
	$short = [];
	for ($i = 0; $i < 6000; $i++) {
		/* small and long-lived */
		$keep[] = "g$g-i$i-" . str_repeat('s', mt_rand(0, 40));
		/* large and short-lived, interleaved with the small ones */
		if ($i % 50 === 0) {
			$short[] = str_repeat('L', mt_rand(1024, 200 * 1024));
			if (count($short) > 4) {
				array_shift($short);
			}
		}
		/* medium and medium-lived */
		if ($i % 20 === 0) {
			$mid[] = str_repeat('m', mt_rand(600, 12000));
			if (count($mid) > 64) {
				unset($mid[array_key_first($mid)]);
			}
		}
	}
	$sum->add(count($short));
	unset($short);

	/* free a random half of the survivors (holes everywhere), keep the set bounded */
	if (count($keep) > $cap) {
		$n = count($keep);
		for ($i = 0; $i < $n; $i++) {
			if (mt_rand(0, 1) === 0) {
				unset($keep[$i]);
			}
		}
		$keep = array_values($keep);
	}
	/* refill holes with objects and arrays of other sizes */
	$fill = [];
	for ($i = 0; $i < 3000; $i++) {
		$fill[] = ($i & 1) ? [$i, $g, "f$i"] : (object)['a' => $i, 'b' => $g];
	}
	$sum->add(count($fill) + count($keep));
	$sum->add($keep[mt_rand(0, count($keep) - 1)]);
	if ($g % 10 === 9) {
		unset($fill);
	} else {
		$keep[] = $fill;      /* some refills become long-lived too */
	}
}
$sum->add(count($keep));
$sum->add(count($mid));
$sum->out('fragment');
