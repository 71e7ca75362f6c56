<?php
/* Scaling microbenchmark: keeps BENCH_LIVE live small blocks (strings of 24-40 bytes held in a packed
 * array), then makes BENCH_PAIRS iterations of two alloc/free pairs each:
 *   - replace a pseudo-random live string with a new one (free one old block anywhere in the heap,
 *     allocate a new one of the same class);
 *   - build and drop a temporary string of a varying small size (8..263 bytes of payload).
 * The measured phase runs inside array_map() so that `callgrind --toggle-collect=zend_call_function`
 * counts it alone; set-up and tear-down are not collected. Prints the wall time per pair (ns) on stderr
 * (not compared) and a checksum on stdout. */
$live = max(1, (int)(getenv('BENCH_LIVE') ?: 1000));
$pairs = max(1, (int)(getenv('BENCH_PAIRS') ?: 200000));

$set = [];
for ($i = 0; $i < $live; $i++) {
	$set[] = 'live' . $i;                   /* a fresh zend_string each (concat result) */
}

function measured(int $unused): int
{
	global $set, $live, $pairs;
	$x = 12345;
	$acc = 0;
	for ($i = 0; $i < $pairs; $i++) {
		$x = ($x * 1103515245 + 12345) & 0x7fffffff;
		$j = $x % $live;
		$set[$j] = 'new' . $i;              /* alloc 1 + free of the old string */
		$t = str_repeat('t', 8 + ($x & 255));   /* alloc 2 */
		$acc += strlen($t);
		unset($t);                          /* free 2 */
	}
	return $acc;
}

$t0 = hrtime(true);
$acc = array_map('measured', [0])[0];
$dt = hrtime(true) - $t0;
fprintf(STDERR, "live=%d pairs=%d ns_per_pair=%.2f\n", $live, $pairs, $dt / (2 * $pairs));
echo "scaling: live=$live pairs=$pairs acc=$acc first=", $set[0], "\n";
