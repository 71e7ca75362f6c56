--TEST--
zmm_debug_fail_storage(N): the first N-1 storage allocations succeed, the Nth fails
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif_debug.inc'; ?>
--INI--
zmm.cache_size=0
--FILE--
<?php
register_shutdown_function(function () {
    echo "shutdown function ran, ", count($GLOBALS['blocks']), " blocks made\n";
});
zmm_gc();
zmm_debug_fail_storage(3);        /* zmm.cache_size=0: no cache flush and retry after a failure */
$blocks = [];
for ($i = 0; $i < 5; $i++) {
    $blocks[] = str_repeat('x', 2 << 20);  /* each needs a segment of its own */
    echo "block $i\n";
}
echo "not reached\n";
?>
--EXPECTF--
block 0
block 1

Fatal error: Out of memory (allocated %d) (tried to allocate %d bytes) in %s on line 9
shutdown function ran, 2 blocks made
