--TEST--
zmm smoke test: the extension loads, is the active heap and serves allocations
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
var_dump(zmm_enabled());
$before = zmm_stats(true)['counters']['allocs'];
$a = [];
for ($i = 0; $i < 1000; $i++) {
    $a[] = str_repeat('x', 10 + $i % 100);
}
$after = zmm_stats(true)['counters']['allocs'];
var_dump($after - $before >= 1000);
var_dump(memory_get_usage() === zmm_stats(true)['memory']['used']);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
