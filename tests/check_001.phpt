--TEST--
zmm_check_heap(): shape, and a healthy heap after a heavy workload
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$c = zmm_check_heap();
echo implode(',', array_keys($c)), "\n";
var_dump(is_bool($c['ok']), is_int($c['segments']), is_int($c['blocks']), array_is_list($c['errors']));
var_dump($c['ok'], $c['errors']);

$keep = [];
for ($round = 0; $round < 3; $round++) {
    zmm_report("workload $round", zmm_workload(2));
    for ($i = 0; $i < 5000; $i++) {
        $keep[] = str_repeat(chr(97 + $i % 26), ($i * 37) % 3000);
    }
    foreach (array_keys($keep) as $k) {
        if ($k % 5 === $round) {
            unset($keep[$k]);
        }
    }
    zmm_check_report("check after round $round");
}
$before = zmm_stats(true);
$c = zmm_check_heap();
echo 'segments walked match the stats: ', var_export(abs($c['segments'] - $before['segments']['count']) <= 1, true), "\n";
echo 'blocks walked: ', var_export($c['blocks'] > count($keep), true), "\n";
?>
--EXPECT--
ok,segments,blocks,errors
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
array(0) {
}
workload 0: ok
check after round 0: ok
workload 1: ok
check after round 1: ok
workload 2: ok
check after round 2: ok
segments walked match the stats: true
blocks walked: true
