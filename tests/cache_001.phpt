--TEST--
zmm cache: repeated alloc/free of one size is served by that size's bucket cache
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
/* str_repeat('c', 100) asks emalloc for 100 + 32 bytes (zend_string_safe_alloc); find the
 * bucket that the stats table says serves that request. */
$b0 = zmm_stats()['buckets'];
$idx = null;
foreach ($b0 as $row) {
    if ($row['min_request'] <= 132 && 132 <= $row['max_request']) {
        $idx = $row['index'];
    }
}
var_dump($idx);
$hundred = 100 + (int) getenv('ZMM_TEST_NOT_SET');   /* runtime value: opcache must not fold str_repeat() */
for ($i = 0; $i < 1000; $i++) {
    $t = str_repeat('c', $hundred);
    unset($t);
}
$s = zmm_stats();
$b1 = $s['buckets'];
echo 'bucket cache_hits grew by >= 900: ', var_export($b1[$idx]['cache_hits'] - $b0[$idx]['cache_hits'] >= 900, true), "\n";
echo 'bucket allocs grew by >= 1000: ', var_export($b1[$idx]['allocs'] - $b0[$idx]['allocs'] >= 1000, true), "\n";
echo 'cache limit: ', $s['cache']['limit'], "\n";
zmm_report('invariants', zmm_invariants($s));
?>
--EXPECT--
int(15)
bucket cache_hits grew by >= 900: true
bucket allocs grew by >= 1000: true
cache limit: 67108864
invariants: ok
