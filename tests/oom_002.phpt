--TEST--
zmm_debug_fail_storage(): a storage failure while small blocks need a new segment gives "Out of memory" (cache off: nothing to flush and retry with)
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
    var_dump(zmm_check_heap()['ok']);
});
zmm_debug_fail_storage(1);
$a = [];
for ($i = 0; $i < 1000000; $i++) {
    $a[] = str_repeat('s', 200);          /* small blocks until a new segment is needed (the line may be the loop's under the JIT) */
}
echo "not reached\n";
?>
--EXPECTF--
Fatal error: Out of memory (allocated %d) (tried to allocate %d bytes) in %s on line %d
shutdown function ran
bool(true)
