--TEST--
zmm.size_classes: a value that is not a boolean gives a startup warning naming the accepted values, and the default (on) is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.size_classes=sometimes
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(ini_get('zmm.size_classes'));
$s = zmm_stats();
var_dump(count($s['classes']));
zmm_report('invariants', zmm_invariants($s));
?>
--EXPECT--
Warning: zmm.size_classes: invalid value 'sometimes'; expected a boolean (1/0, On/Off, yes/no, true/false); using the default 1 in Unknown on line 0
running
string(1) "1"
int(18)
invariants: ok
