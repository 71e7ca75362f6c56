--TEST--
zmm.enable: a value that is not a boolean gives a startup warning and the default (on) is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.enable=maybe
--FILE--
<?php
echo "running\n";
var_dump(zmm_enabled(), is_array(zmm_stats(true)));
?>
--EXPECTF--
Warning: %Szmm.enable%Smaybe%S in Unknown on line 0
running
bool(true)
bool(true)
