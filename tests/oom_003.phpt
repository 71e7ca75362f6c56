--TEST--
zmm_debug_fail_storage(): a fallible allocation (implode) that hits a storage failure gives "Out of memory", not a silent NULL
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif_debug.inc'; ?>
--INI--
zmm.cache_size=0
--FILE--
<?php
register_shutdown_function(function () {
    echo "shutdown function ran\n";
});
$parts = array_fill(0, 100, str_repeat('p', 10000));
zmm_debug_fail_storage(1);
zmm_gc();         /* empty pool; the cache is off (INI): the heap has nothing to flush and retry with */
$r = implode('', $parts);                 /* 1,000,000 bytes: a segment of its own */
echo "not reached\n";
var_dump($r);
?>
--EXPECTF--
Fatal error: Out of memory (allocated %d) (tried to allocate %d bytes) in %s on line 8
shutdown function ran
