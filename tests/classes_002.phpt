--TEST--
zmm.size_classes=0: PHP 5's exact sizes, no class rows, no medium flushes
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.size_classes=0
--FILE--
<?php
require __DIR__ . '/zmm.inc';
var_dump(ini_get('zmm.size_classes'));
var_dump(count(zmm_stats()['classes']));
$len = 1100 + (int) getenv('ZMM_TEST_NOT_SET');
$t = str_repeat('m', $len);
$used = memory_get_usage();
unset($t);
$fell = $used - memory_get_usage();
/* 1128 + 16 header bytes, plus at most 24 a split could not leave behind; the class block is 1296 */
echo 'usage fell by the exact block: ', var_export($fell >= 1144 && $fell <= 1168, true), "\n";
for ($i = 0; $i < 2000; $i++) {
    $t = str_repeat('x', 500 + ($i * 37) % 2600);
}
unset($t);
var_dump(zmm_stats()['counters']['medium_flushes']);
zmm_report('invariants', zmm_invariants(zmm_stats()));
zmm_check_report('check');
?>
--EXPECT--
string(1) "0"
int(0)
usage fell by the exact block: true
int(0)
invariants: ok
check: ok
