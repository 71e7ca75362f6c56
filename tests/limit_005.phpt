--TEST--
memory_limit: string growth (.=) up to the limit
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
    echo 'grew past 4 MiB first: ', var_export(strlen($GLOBALS['s']) > 4 << 20, true), "\n";
});
$s = '';
$chunk = str_repeat('x', 100000);
while (true) {
    $s .= $chunk;
}
echo "not reached\n";
?>
--EXPECTF--
Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 9
shutdown function ran
grew past 4 MiB first: true
