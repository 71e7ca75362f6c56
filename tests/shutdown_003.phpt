--TEST--
zmm: a fatal error (E_USER_ERROR) with live data, then shutdown functions and a consistent heap
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
register_shutdown_function(function () {
    echo "shutdown function ran\n";
    $keep = $GLOBALS['keep'];
    echo count($keep), " entries still readable: ", var_export($keep[999] === str_repeat('k', 999 % 300), true), "\n";
    zmm_check_report('check in shutdown');
});
$keep = [];
for ($i = 0; $i < 1000; $i++) {
    $keep[] = str_repeat('k', $i % 300);
}
trigger_error('stop here', E_USER_ERROR);
echo "not reached\n";
?>
--EXPECTF--
Fatal error: stop here in %s on line 13
shutdown function ran
1000 entries still readable: true
check in shutdown: ok
