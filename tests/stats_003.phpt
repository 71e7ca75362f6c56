--TEST--
zmm_stats(): invariants between segments, buckets, large classes, rest list, cache and fragmentation under workloads
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
function phase(string $label): void
{
    zmm_report($label, zmm_invariants(zmm_stats()));
}
phase('start');

$small = [];
for ($i = 0; $i < 30000; $i++) {
    $small[] = str_repeat('s', $i % 520);
}
phase('small blocks live');

foreach ($small as $k => $v) {
    if ($k % 3 !== 0) {
        unset($small[$k]);
    }
}
phase('small blocks fragmented');

$large = [];
for ($i = 0; $i < 200; $i++) {
    $large[] = str_repeat('L', 600 + $i * 997);
}
for ($i = 0; $i < 200; $i += 2) {
    unset($large[$i]);
}
phase('large blocks fragmented');

$huge = str_repeat('H', 5 << 20);
$huge .= str_repeat('h', 300000);
phase('huge block grown');

$objs = [];
for ($i = 0; $i < 20000; $i++) {
    $objs[] = new ArrayObject([$i, "v$i"]);
}
phase('objects live');

unset($huge, $objs);
phase('huge and objects freed');

zmm_report('workload', zmm_workload(2));
phase('after workload');

unset($small, $large);
gc_mem_caches();
$s = zmm_stats();
zmm_report('after gc_mem_caches', zmm_invariants($s));
var_dump($s['cache']['bytes'], $s['segments']['count'] >= 1);
?>
--EXPECT--
start: ok
small blocks live: ok
small blocks fragmented: ok
large blocks fragmented: ok
huge block grown: ok
objects live: ok
huge and objects freed: ok
workload: ok
after workload: ok
after gc_mem_caches: ok
int(0)
bool(true)
