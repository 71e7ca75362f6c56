--TEST--
zmm: an unknown ZEND_MM_MEM_TYPE gives a startup warning and the default storage is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--ENV--
ZEND_MM_MEM_TYPE=bogus
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(zmm_stats(true)['storage']);
zmm_report('workload', zmm_workload());
zmm_check_report('check');
?>
--EXPECTF--
Warning: %SZEND_MM_MEM_TYPE%Sbogus%Smalloc%Smmap_anon%Smmap_zero%S in Unknown on line 0
running
string(9) "mmap_anon"
workload: ok
check: ok
