--TEST--
zmm.protection=1 with 64K segments: workload, invariants and heap check stay clean
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.protection=1
zmm.segment_size=64K
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$s = zmm_stats();
var_dump($s['segment_size'], $s['buckets'][63]['max_request'] < 520);
for ($round = 0; $round < 2; $round++) {
    zmm_report("workload $round", zmm_workload(2, 1 << 20));
    zmm_report("invariants $round", zmm_invariants(zmm_stats(), true));
    zmm_check_report("check $round");
}
?>
--EXPECT--
int(65536)
bool(true)
workload 0: ok
invariants 0: ok
check 0: ok
workload 1: ok
invariants 1: ok
check 1: ok
