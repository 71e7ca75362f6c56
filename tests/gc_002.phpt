--TEST--
zmm_gc() empties the cache, returns an int >= 0 and leaves a consistent heap
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$keep = [];
for ($i = 0; $i < 50000; $i++) {
    $t = str_repeat('c', $i % 500);
    if ($i % 7 === 0) {
        $keep[] = $t;               /* pins some blocks so the segments stay partly used */
    }
}
$big = [];
for ($i = 0; $i < 20; $i++) {
    $big[] = str_repeat('B', 300000 + $i);
}
unset($big);
$s = zmm_stats(true);
echo 'cache has blocks: ', var_export($s['cache']['blocks'] > 0, true), "\n";
$r1 = memory_get_usage(true);
$g = zmm_gc();
$r2 = memory_get_usage(true);
$s = zmm_stats(true);
var_dump(is_int($g), $g >= 0, $g >= $r1 - $r2);
var_dump($s['cache']['bytes'], $s['cache']['blocks']);
zmm_report('invariants', zmm_invariants(zmm_stats()));
zmm_check_report('check');
var_dump(count($keep));
?>
--EXPECT--
cache has blocks: true
bool(true)
bool(true)
bool(true)
int(0)
int(0)
invariants: ok
check: ok
int(7143)
