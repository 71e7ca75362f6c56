--TEST--
zmm: a ZEND_MM_SEG_SIZE that is not a power of two gives a startup warning and the default is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--ENV--
ZEND_MM_SEG_SIZE=100000
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(zmm_stats(true)['segment_size']);
zmm_report('workload', zmm_workload());
zmm_check_report('check');
?>
--EXPECTF--
Warning: %SZEND_MM_SEG_SIZE%S100000%S in Unknown on line 0
running
int(262144)
workload: ok
check: ok
