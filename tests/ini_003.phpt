--TEST--
zmm.storage: an unknown storage gives a startup warning and the default is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.storage=bogus
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(zmm_stats(true)["storage"], ini_get("zmm.storage"));
zmm_report('workload', zmm_workload());
zmm_check_report('check');
?>
--EXPECTF--
Warning: %Szmm.storage%Sbogus%Smalloc%Smmap_anon%Smmap_zero%S in Unknown on line 0
running
string(9) "mmap_anon"
string(9) "mmap_anon"
workload: ok
check: ok
