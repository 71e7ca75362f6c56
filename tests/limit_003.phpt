--TEST--
memory_limit: str_repeat() above the limit
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=8M
--FILE--
<?php
register_shutdown_function(function () {
    echo "shutdown function ran\n";
    preg_match('/tried to allocate (\d+) bytes/', error_get_last()['message'], $m);
    echo 'reported size covers the string: ', var_export((int)$m[1] >= (10 << 20) + 25, true), "\n";
});
$ok = str_repeat('x', 1 << 20);            /* below the limit: fine */
var_dump(strlen($ok));
$s = str_repeat('x', 10 << 20);
echo "not reached\n";
?>
--EXPECTF--
int(1048576)

Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 9
shutdown function ran
reported size covers the string: true
