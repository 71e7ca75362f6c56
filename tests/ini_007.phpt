--TEST--
zmm.cache_size: a negative size gives a startup warning and the default is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.cache_size=-64K
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(zmm_stats(true)["cache"]["limit"], ini_get("zmm.cache_size"));
zmm_report('workload', zmm_workload());
zmm_check_report('check');
?>
--EXPECTF--
Warning: %Szmm.cache_size%S-64K%S in Unknown on line 0
running
int(67108864)
string(3) "64M"
workload: ok
check: ok
