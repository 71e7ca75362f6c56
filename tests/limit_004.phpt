--TEST--
memory_limit: array_fill() above the limit
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
});
$ok = array_fill(0, 10000, 0);
var_dump(count($ok));
$a = array_fill(0, 1000000, 0);
echo "not reached\n";
?>
--EXPECTF--
int(10000)

Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 7
shutdown function ran
