--TEST--
zmm.segment_size=64K (the smallest) runs a workload with a consistent heap
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.segment_size=64K
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$s = zmm_stats(true);
var_dump($s['storage'], $s['segment_size']);
$seg = $s['segment_size'];
for ($round = 0; $round < 2; $round++) {
    zmm_report("workload $round", zmm_workload(2, 1048576));
    $s = zmm_stats();
    zmm_report("invariants $round", zmm_invariants($s));
    zmm_check_report("check $round");
}
/* a block bigger than a segment gets a segment of its own, a multiple of the segment size */
$c0 = zmm_stats(true)['counters']['huge_allocs'];
$big = str_repeat('B', 1048576);
$s = zmm_stats();
echo 'huge_allocs grew: ', var_export($s['counters']['huge_allocs'] > $c0, true), "\n";
$multiples = true;
$bigSeg = false;
foreach ($s['segments']['list'] as $row) {
    $multiples = $multiples && $row['size'] % $seg === 0;
    $bigSeg = $bigSeg || $row['size'] > 1048576;
}
echo 'segments are multiples of the segment size: ', var_export($multiples && $s['memory']['real'] % $seg === 0, true), "\n";
echo 'a segment holds the huge block: ', var_export($bigSeg, true), "\n";
var_dump(strlen($big), $big === str_repeat('B', 1048576));
unset($big);
zmm_check_report('check at the end');
?>
--EXPECT--
string(9) "mmap_anon"
int(65536)
workload 0: ok
invariants 0: ok
check 0: ok
workload 1: ok
invariants 1: ok
check 1: ok
huge_allocs grew: true
segments are multiples of the segment size: true
a segment holds the huge block: true
int(1048576)
bool(true)
check at the end: ok
