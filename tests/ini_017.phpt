--TEST--
zmm.fast_shutdown: a value that is not a boolean gives a startup warning naming the accepted values, and the default (on) is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.fast_shutdown=later
--FILE--
<?php
echo "running\n";
var_dump(ini_get('zmm.fast_shutdown'));
?>
--EXPECT--
Warning: zmm.fast_shutdown: invalid value 'later'; expected a boolean (1/0, On/Off, yes/no, true/false); using the default 1 in Unknown on line 0
running
string(1) "1"
