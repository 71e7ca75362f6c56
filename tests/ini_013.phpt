--TEST--
zmm.protection: a value that is not a boolean gives a startup warning and the default (off) is used
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.protection=2
--FILE--
<?php
require __DIR__ . '/zmm.inc';
echo "running\n";
var_dump(ini_get('zmm.protection'));
$s = zmm_stats();
var_dump($s['buckets'][63]['max_request']);        /* 520 without protection */
zmm_report('invariants', zmm_invariants($s));
?>
--EXPECTF--
Warning: %Szmm.protection%S2%S in Unknown on line 0
running
string(1) "0"
int(520)
invariants: ok
