--TEST--
zmm.keep_segments: a negative count gives a startup warning and the default is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.keep_segments=-1
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(ini_get("zmm.keep_segments"));
zmm_report('workload', zmm_workload());
zmm_check_report('check');
?>
--EXPECTF--
Warning: %Szmm.keep_segments%S-1%S in Unknown on line 0
running
string(1) "4"
workload: ok
check: ok
