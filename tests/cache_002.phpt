--TEST--
zmm.cache_size=0 turns the cache off: no cached blocks, no cache hits
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.cache_size=0
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$c0 = zmm_stats(true)['counters'];
$hundred = 100 + (int) getenv('ZMM_TEST_NOT_SET');   /* runtime value: opcache must not fold str_repeat() */
for ($i = 0; $i < 1000; $i++) {
    $t = str_repeat('c', $hundred);
    unset($t);
}
zmm_report('workload', zmm_workload());
$s = zmm_stats();
var_dump(ini_get('zmm.cache_size'), $s['cache']['limit'], $s['cache']['bytes'], $s['cache']['blocks'], $s['memory']['cached']);
var_dump($s['counters']['cache_hits'] - $c0['cache_hits']);
var_dump(array_sum(array_column($s['buckets'], 'cached_blocks')));
zmm_report('invariants', zmm_invariants($s));
zmm_check_report('check');
?>
--EXPECT--
workload: ok
string(1) "0"
int(0)
int(0)
int(0)
int(0)
int(0)
int(0)
invariants: ok
check: ok
