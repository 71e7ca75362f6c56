--TEST--
memory_limit: many small objects up to the limit
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
$a = [];
while (true) {
    $o = new stdClass;
    $o->v = count($a);
    $a[] = $o;
}
?>
--EXPECTF--
Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line %d
shutdown function ran
