--TEST--
zmm_check_heap() finds a damaged free-list link injected by zmm_debug_corrupt('free_link'); zmm_debug_repair() makes the heap whole again
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif_debug.inc'; ?>
--FILE--
<?php
/* live blocks and free blocks of several sizes, so there is something to damage */
$keep = [];
for ($i = 0; $i < 3000; $i++) {
    $keep[] = str_repeat('k', ($i * 53) % 2000);
}
foreach (array_keys($keep) as $k) {
    if ($k % 2) {
        unset($keep[$k]);
    }
}
gc_mem_caches();                 /* cached blocks become free blocks */

$healthy = zmm_check_heap();
$corrupted = zmm_debug_corrupt('free_link');
$damaged = zmm_check_heap();
$repaired = zmm_debug_repair();
$after = zmm_check_heap();

var_dump($healthy['ok'], $healthy['errors']);
var_dump($corrupted);
var_dump($damaged['ok']);
echo 'errors reported: ', var_export(count($damaged['errors']) >= 1, true), "\n";
$strings = array_filter($damaged['errors'], fn($e) => is_string($e) && strlen($e) > 10);
echo 'errors are sentences: ', var_export(count($strings) === count($damaged['errors']), true), "\n";
var_dump($repaired);
var_dump($after['ok'], $after['errors']);
var_dump($after['segments'] === $healthy['segments']);
/* the repaired heap keeps working */
$more = [];
for ($i = 0; $i < 3000; $i++) {
    $more[] = str_repeat('m', $i % 700);
}
unset($more, $keep);
var_dump(zmm_check_heap()['ok']);
?>
--EXPECT--
bool(true)
array(0) {
}
bool(true)
bool(false)
errors reported: true
errors are sentences: true
bool(true)
bool(true)
array(0) {
}
bool(true)
bool(true)
