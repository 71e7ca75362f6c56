--TEST--
zmm.segment_size: a size above 32M gives a startup warning and the default is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.segment_size=64M
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(zmm_stats(true)["segment_size"], ini_get("zmm.segment_size"));
zmm_report('workload', zmm_workload());
zmm_check_report('check');
?>
--EXPECTF--
Warning: %Szmm.segment_size%S%r(64M|67108864)%r%S%r(64K|65536|64 KiB)%r%S%r(32M|33554432|32 MiB)%r%S in Unknown on line 0
running
int(262144)
string(4) "256K"
workload: ok
check: ok
