--TEST--
zmm INI: valid non-default values are used (storage, segment_size, cache_size, protection, keep_segments)
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.storage=malloc
zmm.segment_size=1M
zmm.cache_size=64K
zmm.protection=1
zmm.keep_segments=3
--FILE--
<?php
require __DIR__ . '/zmm.inc';
foreach (['zmm.storage', 'zmm.segment_size', 'zmm.cache_size', 'zmm.protection', 'zmm.keep_segments'] as $name) {
    echo $name, ' = ', ini_get($name), "\n";
}
$s = zmm_stats();
var_dump($s['storage'], $s['segment_size'], $s['cache']['limit']);
/* protection adds 3 * sizeof(size_t) per block: the largest small request shrinks from 520 */
$last = $s['buckets'][63];
var_dump($last['block_size'], $last['max_request']);
zmm_report('workload', zmm_workload());
$s = zmm_stats();
zmm_report('invariants', zmm_invariants($s, true));
foreach ($s['segments']['list'] as $row) {
    if ($row['size'] % 1048576) echo "segment of {$row['size']} bytes is not a multiple of 1M\n";
}
zmm_check_report('check');
?>
--EXPECT--
zmm.storage = malloc
zmm.segment_size = 1M
zmm.cache_size = 64K
zmm.protection = 1
zmm.keep_segments = 3
string(6) "malloc"
int(1048576)
int(65536)
int(536)
int(496)
workload: ok
invariants: ok
check: ok
