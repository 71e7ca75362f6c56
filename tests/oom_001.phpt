--TEST--
zmm_debug_fail_storage(): a storage failure for a huge block gives "Out of memory (allocated N) (tried to allocate N bytes)"
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif_debug.inc'; ?>
--FILE--
<?php
register_shutdown_function(function () {
    echo "shutdown function ran\n";
    $e = error_get_last();
    preg_match('/Out of memory \(allocated (\d+)\) \(tried to allocate (\d+) bytes\)/', $e['message'], $m);
    echo 'allocated is the real usage at the failure: ', var_export((int)$m[1] === $GLOBALS['real'], true), "\n";
    echo 'tried size covers the string: ', var_export((int)$m[2] >= (1 << 20) + 25, true), "\n";
    var_dump(zmm_check_heap()['ok']);
});
$real = memory_get_usage(true);
zmm_debug_fail_storage(1);
zmm_gc();         /* empty cache and pool: the heap has nothing to flush and retry with */
$s = str_repeat('x', 1 << 20);            /* needs a segment of its own */
echo "not reached\n";
?>
--EXPECTF--
Fatal error: Out of memory (allocated %d) (tried to allocate %d bytes) in %s on line 13
shutdown function ran
allocated is the real usage at the failure: true
tried size covers the string: true
bool(true)
