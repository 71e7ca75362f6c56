--TEST--
zmm size classes (default on): requests of 521..32768 bytes round up to 18 classes whose freed blocks the cache serves again
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
var_dump(ini_get('zmm.size_classes'));
$c0 = zmm_stats()['classes'];
echo count($c0), " classes:";
foreach ($c0 as $row) {
    echo " {$row['min_request']}-{$row['max_request']}";
}
echo "\n";
/* str_repeat('m', 1100) asks emalloc for a zend_string of 1100 + 25 bytes, rounded to 8: find the
 * class that serves that request */
$idx = null;
foreach ($c0 as $row) {
    if ($row['min_request'] <= 1128 && 1128 <= $row['max_request']) {
        $idx = $row['index'];
    }
}
var_dump($idx);
$len = 1100 + (int) getenv('ZMM_TEST_NOT_SET');   /* runtime value: opcache must not fold str_repeat() */
for ($i = 0; $i < 1000; $i++) {
    $t = str_repeat('m', $len);
    unset($t);
}
$s = zmm_stats();
$c1 = $s['classes'];
echo 'class cache_hits grew by >= 900: ', var_export($c1[$idx]['cache_hits'] - $c0[$idx]['cache_hits'] >= 900, true), "\n";
echo 'class allocs grew by >= 1000: ', var_export($c1[$idx]['allocs'] - $c0[$idx]['allocs'] >= 1000, true), "\n";
/* a freed block of the class stays cached (size counted, usage not) */
$t = str_repeat('m', $len);
$used = memory_get_usage();
unset($t);
$fell = $used - memory_get_usage();
$s2 = zmm_stats();
echo 'cached after unset: ', var_export($s2['classes'][$idx]['cached_blocks'] >= 1, true), "\n";
echo 'usage fell by the class block: ', $fell, "\n";
zmm_report('invariants', zmm_invariants($s2));
/* mixed sizes across all classes, then gc: nothing left cached, heap consistent */
$keep = [];
for ($i = 0; $i < 3000; $i++) {
    $keep[] = str_repeat('x', 500 + ($i * 37) % 2600);
    if ($i % 3 === 0) {
        array_shift($keep);
    }
}
/* and the page classes, 3073..32768 */
for ($i = 0; $i < 400; $i++) {
    $keep[] = str_repeat('y', 3100 + ($i * 521) % 29600);
    if ($i % 3 === 0) {
        array_shift($keep);
    }
}
unset($keep);
echo 'every class used: ', var_export(min(array_column(zmm_stats()['classes'], 'allocs')) > 0, true), "\n";
var_dump(gc_mem_caches() > 0, zmm_stats()['cache']['blocks']);
zmm_report('invariants after gc', zmm_invariants(zmm_stats()));
zmm_check_report('check');
?>
--EXPECT--
string(1) "1"
18 classes: 521-640 641-768 769-896 897-1024 1025-1280 1281-1536 1537-1792 1793-2048 2049-2560 2561-3072 3073-4096 4097-8192 8193-12288 12289-16384 16385-20480 20481-24576 24577-28672 28673-32768
int(4)
class cache_hits grew by >= 900: true
class allocs grew by >= 1000: true
cached after unset: true
usage fell by the class block: 1296
invariants: ok
every class used: true
bool(true)
int(0)
invariants after gc: ok
check: ok
