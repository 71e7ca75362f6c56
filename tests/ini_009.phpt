--TEST--
zmm: ZEND_MM_MEM_TYPE and ZEND_MM_SEG_SIZE are used when the INI settings are not set
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--ENV--
ZEND_MM_MEM_TYPE=malloc
ZEND_MM_SEG_SIZE=131072
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$s = zmm_stats();
var_dump($s['storage'], $s['segment_size']);
zmm_report('workload', zmm_workload());
$s = zmm_stats();
zmm_report('invariants', zmm_invariants($s));
var_dump($s['memory']['real'] % 131072);
zmm_check_report('check');
?>
--EXPECT--
string(6) "malloc"
int(131072)
workload: ok
invariants: ok
int(0)
check: ok
