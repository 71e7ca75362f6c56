--TEST--
zmm with the tracing JIT: recursion, generators, closures, fibers, string and array work give correct results
--EXTENSIONS--
zmm
opcache
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
opcache.enable=1
opcache.enable_cli=1
opcache.jit=tracing
opcache.jit_buffer_size=16M
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$st = opcache_get_status(false);
var_dump($st['jit']['enabled'], $st['jit']['on']);

function fib(int $n): int { return $n < 2 ? $n : fib($n - 1) + fib($n - 2); }
var_dump(fib(23));

function gen(int $n) { for ($i = 0; $i < $n; $i++) { yield "k$i" => str_repeat('g', $i % 50); } }
$total = 0;
foreach (gen(20000) as $k => $v) { $total += strlen($k) + strlen($v); }
$expect = 0;
for ($i = 0; $i < 20000; $i++) { $expect += strlen("k$i") + $i % 50; }
var_dump($total === $expect);

$mul = fn($x) => fn($y) => $x * $y;
$acc = [];
for ($i = 0; $i < 10000; $i++) { $acc[] = $mul($i)(3); }
var_dump(array_sum($acc) === 3 * 9999 * 10000 / 2);

$fiber = new Fiber(function (): string {
    $parts = [];
    for ($i = 0; $i < 100; $i++) {
        $parts[] = Fiber::suspend($i);
    }
    return implode(',', $parts);
});
$v = $fiber->start();
while (!$fiber->isTerminated()) {
    $v = $fiber->resume(str_repeat('f', $v % 10));
}
var_dump(strlen($fiber->getReturn()));

$str = '';
for ($i = 0; $i < 100000; $i++) { $str .= chr(65 + $i % 26); }
var_dump(strlen($str), substr_count($str, 'ABC'));

$c0 = zmm_stats(true)['counters']['allocs'];
for ($round = 0; $round < 3; $round++) {
    zmm_report("workload $round", zmm_workload(1));
}
$c1 = zmm_stats(true)['counters']['allocs'];
echo 'allocs grew under the JIT: ', var_export($c1 - $c0 > 30000, true), "\n";
zmm_report('invariants', zmm_invariants(zmm_stats()));
zmm_check_report('check');
?>
--EXPECT--
bool(true)
bool(true)
int(28657)
bool(true)
bool(true)
int(549)
int(100000)
int(3847)
workload 0: ok
workload 1: ok
workload 2: ok
allocs grew under the JIT: true
invariants: ok
check: ok
