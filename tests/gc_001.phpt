--TEST--
gc_mem_caches() flushes the zmm cache and returns the bytes zmm released
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$a = [];
for ($i = 0; $i < 200000; $i++) {
    $a[] = "str$i" . str_repeat('z', $i % 200);
}
$realFull = memory_get_usage(true);
unset($a);
$s = zmm_stats(true);
echo 'cache holds blocks after the frees: ', var_export($s['cache']['blocks'] > 0 && $s['cache']['bytes'] > 0, true), "\n";

$r1 = memory_get_usage(true);
$freed = gc_mem_caches();
$r2 = memory_get_usage(true);
$s = zmm_stats(true);
var_dump(is_int($freed), $freed > 0);
echo 'returned >= the drop in memory_get_usage(true): ', var_export($freed >= $r1 - $r2, true), "\n";
echo 'real below the full heap: ', var_export($r2 < $realFull, true), "\n";
var_dump($s['cache']['bytes'], $s['cache']['blocks'], $s['memory']['cached']);
$again = gc_mem_caches();
var_dump(is_int($again) && $again >= 0);
zmm_report('invariants', zmm_invariants(zmm_stats()));
zmm_check_report('check');
?>
--EXPECT--
cache holds blocks after the frees: true
bool(true)
bool(true)
returned >= the drop in memory_get_usage(true): true
real below the full heap: true
int(0)
int(0)
int(0)
bool(true)
invariants: ok
check: ok
