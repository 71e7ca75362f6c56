<?php
/* Recursive and functional code: closures capturing by value and by reference, arrow functions,
 * array_map/filter/reduce/usort with callbacks, generator pipelines (yield, yield from, keys,
 * send), recursion on trees built from arrays and objects, and partial application. Many short-lived
 * small blocks: closures, generator frames, call frames that spill to the VM stack, temp arrays. */
require __DIR__ . '/_common.php';

mt_srand(19);
$sum = new BenchSum();

function tree(int $depth, int $seed): array
{
	if ($depth === 0) {
		return ['leaf' => $seed % 97];
	}
	return ['l' => tree($depth - 1, $seed * 3 + 1), 'r' => tree($depth - 1, $seed * 5 + 2), 'v' => $seed % 1013];
}

function fold(array $t, callable $f, int $acc): int
{
	if (isset($t['leaf'])) {
		return $f($acc, $t['leaf']);
	}
	return fold($t['r'], $f, fold($t['l'], $f, $f($acc, $t['v'])));
}

function naturals(int $from, int $to): Generator
{
	for ($i = $from; $i < $to; $i++) {
		yield $i => $i * 2;
	}
}

function mapG(callable $f, iterable $it): Generator
{
	foreach ($it as $k => $v) {
		yield $k => $f($v);
	}
}

function filterG(callable $p, iterable $it): Generator
{
	foreach ($it as $k => $v) {
		if ($p($v)) {
			yield $k => $v;
		}
	}
}

function chunked(iterable $it, int $n): Generator
{
	$buf = [];
	foreach ($it as $v) {
		$buf[] = $v;
		if (count($buf) === $n) {
			yield $buf;
			$buf = [];
		}
	}
	if ($buf) {
		yield $buf;
	}
}

function flat(int $depth, int $w): Generator
{
	if ($depth === 0) {
		yield "d$w";
		return;
	}
	for ($i = 0; $i < 3; $i++) {
		yield from flat($depth - 1, $w * 3 + $i);
	}
}

$compose = static fn(callable ...$fs): Closure => static function ($x) use ($fs) {
	foreach ($fs as $f) {
		$x = $f($x);
	}
	return $x;
};
$curry = static fn(int $a): Closure => static fn(int $b): Closure => static fn(int $c): int => $a * $b + $c;

$rounds = bench_n(100);
for ($r = 0; $r < $rounds; $r++) {
	$t = tree(11, $r);
	$sum->add(fold($t, static fn(int $a, int $v): int => ($a * 7 + $v) % 1000003, 1));
	unset($t);

	$pipe = filterG(static fn(int $v): bool => $v % 3 !== 0,
	                mapG($compose(static fn($v) => $v + 1, static fn($v) => $v * 5 % 10007), naturals(0, 20000)));
	$acc = 0;
	foreach (chunked($pipe, 64) as $chunk) {
		$acc = array_reduce($chunk, static fn($c, $v) => ($c + $v) % 1000003, $acc);
	}
	$sum->add($acc);

	$words = iterator_to_array(flat(7, $r), false);            /* 2187 strings via yield from */
	usort($words, static fn(string $a, string $b): int => strcmp($b, $a));
	$sum->add($words[0]);
	$lens = array_map(static fn(string $w): int => strlen($w), array_filter($words, static fn($w) => $w[1] !== '1'));
	$sum->add(array_sum($lens));

	$counter = 0;
	$inc = function () use (&$counter): int { return ++$counter; };
	$fs = [];
	for ($i = 0; $i < 3000; $i++) {
		$fs[] = $curry($i)($r + 1);
		$inc();
	}
	$total = 0;
	foreach ($fs as $i => $f) {
		$total = ($total + $f($i)) % 1000003;
	}
	$sum->add($total + $counter);

	$memo = [];
	$fib = function (int $n) use (&$fib, &$memo): int {
		if ($n < 2) {
			return $n;
		}
		return $memo[$n] ??= ($fib($n - 1) + $fib($n - 2)) % 1000003;
	};
	$sum->add($fib(2000 + $r));
	$fib = null;   /* break the cycle */

	$gen = (function () {
		$got = [];
		while (($v = yield count($got)) !== null) {
			$got[] = str_repeat('g', $v % 50 + 1);
		}
		return implode('', $got);
	})();
	for ($i = 0; $i < 2000; $i++) {
		$gen->send($i);
	}
	$gen->send(null);
	$sum->add(strlen($gen->getReturn()));
}
$sum->out('functional');
