--TEST--
memory_limit: a second limit error inside a shutdown function is reported too
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
    unset($GLOBALS['a']);
    $b = str_repeat('x', 20 << 20);
    echo "not reached\n";
});
$a = str_repeat('a', 4 << 20);
$c = str_repeat('c', 10 << 20);
echo "not reached\n";
?>
--EXPECTF--
Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 9
shutdown function ran

Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 5
