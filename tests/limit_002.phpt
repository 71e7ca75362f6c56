--TEST--
memory_limit: fallible overflow (implode) gives the fatal error, never a silent NULL
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
    $e = error_get_last();
    preg_match('/tried to allocate (\d+) bytes/', $e['message'], $m);
    echo 'reported size covers the result: ', var_export((int)$m[1] >= 1000 * 10000, true), "\n";
});
$parts = array_fill(0, 1000, str_repeat('x', 10000));
$r = implode('', $parts);
echo "not reached\n";
var_dump($r);
?>
--EXPECTF--
Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 9
shutdown function ran
reported size covers the result: true
