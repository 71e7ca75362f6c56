--TEST--
zmm_debug_corrupt()/zmm_debug_repair(): argument validation and one corruption at a time
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif_debug.inc'; ?>
--FILE--
<?php
var_dump(zmm_debug_repair());                 /* nothing to repair */
try {
    zmm_debug_corrupt('bogus');
} catch (ValueError $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
var_dump(zmm_check_heap()['ok']);
var_dump(zmm_debug_corrupt('header'));
var_dump(zmm_debug_corrupt('header'));        /* one at a time */
var_dump(zmm_check_heap()['ok']);
var_dump(zmm_debug_repair());
var_dump(zmm_debug_repair());
var_dump(zmm_check_heap()['ok']);
?>
--EXPECTF--
bool(false)
ValueError: zmm_debug_corrupt(): Argument #1 ($what) must be %s
bool(true)
bool(true)
bool(false)
bool(false)
bool(true)
bool(false)
bool(true)
