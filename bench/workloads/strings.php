<?php
/* String building and growth into megabytes: .= appends that grow one buffer to several MB (the
 * engine reallocs in place or moves), str_repeat, implode/explode of large arrays, str_replace and
 * substr copies. Produces many huge blocks that grow and die. */
require __DIR__ . '/_common.php';

mt_srand(11);
$sum = new BenchSum();
$rounds = bench_n(25);

for ($r = 0; $r < $rounds; $r++) {
	/* 1. append into one growing buffer up to ~6 MB */
	$buf = '';
	$target = 6 * 1024 * 1024 + $r * 4096;
	$i = 0;
	while (strlen($buf) < $target) {
		$n = mt_rand(1, 600);
		$buf .= ($i % 3 === 0) ? str_repeat(chr(97 + $i % 26), $n) : "line $i of round $r; ";
		$i++;
	}
	$sum->add(strlen($buf));
	$sum->add(substr($buf, 1000, 64));

	/* 2. str_repeat of large sizes, then transformations that copy */
	$big = str_repeat('abcdefgh', 256 * 1024 + $r);          /* 2 MB */
	$up = strtoupper($big);
	$rep = str_replace('CDE', 'xy', $up);                 /* shrinks */
	$sum->add(strlen($rep));
	$rep2 = str_replace('xy', 'WXYZ', $rep);              /* grows */
	$sum->add(strlen($rep2));
	unset($big, $up, $rep, $rep2);

	/* 3. implode and explode of large arrays of small strings */
	$parts = [];
	for ($j = 0; $j < 60000; $j++) {
		$parts[] = "item-$j-" . ($j * $r);
	}
	$joined = implode(',', $parts);                       /* ~ 1 MB */
	$sum->add(strlen($joined));
	$back = explode(',', $joined);
	$sum->add(count($back));
	$sum->add($back[mt_rand(0, count($back) - 1)]);
	unset($parts, $back);

	/* 4. many medium strings concatenated pairwise (tree of growing sizes) */
	$level = [];
	for ($j = 0; $j < 4096; $j++) {
		$level[] = str_repeat(chr(65 + $j % 26), 1 + ($j * 37) % 200);
	}
	while (count($level) > 1) {
		$next = [];
		for ($j = 0, $c = count($level); $j + 1 < $c; $j += 2) {
			$next[] = $level[$j] . $level[$j + 1];
		}
		if ($c % 2) {
			$next[] = $level[$c - 1];
		}
		$level = $next;
	}
	$sum->add(strlen($level[0]));

	/* 5. sprintf/number formatting into a buffer, then a shrinking substr chain */
	$s = '';
	for ($j = 0; $j < 20000; $j++) {
		$s .= sprintf("%05d:%s|", $j, dechex($j * 2654435761 & 0xffffff));
	}
	while (strlen($s) > 1000) {
		$s = substr($s, (int)(strlen($s) / 3));
	}
	$sum->add($s);
	unset($buf, $joined, $level, $next, $s);
}
$sum->out('strings');
