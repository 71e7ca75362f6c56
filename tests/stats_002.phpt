--TEST--
zmm_stats(true) (limited) leaves out segments.list, buckets, classes and large; zmm_stats() defaults to full
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
$l = zmm_stats(true);
$f = zmm_stats();
$f2 = zmm_stats(false);
echo implode(',', array_keys($l)), "\n";
echo implode(',', array_keys($l['segments'])), "\n";
echo implode(',', array_keys($f)), "\n";
echo implode(',', array_keys($f['segments'])), "\n";
var_dump(array_keys($f2) === array_keys($f));
/* the groups both modes have are built the same way */
foreach (['memory', 'counters', 'cache', 'rest', 'fragmentation'] as $g) {
    echo $g, ': ', array_keys($l[$g]) === array_keys($f[$g]) ? 'same keys' : 'DIFFERENT keys', "\n";
}
var_dump($l['storage'] === $f['storage'], $l['segment_size'] === $f['segment_size'], $l['memory']['limit'] === $f['memory']['limit']);
?>
--EXPECT--
active,storage,segment_size,memory,counters,cache,segments,rest,fragmentation
count,peak_count,free_bytes,largest_free_block,pool_bytes,pool_limit
active,storage,segment_size,memory,counters,cache,segments,buckets,classes,large,rest,fragmentation
count,peak_count,free_bytes,largest_free_block,pool_bytes,pool_limit,list
bool(true)
memory: same keys
counters: same keys
cache: same keys
rest: same keys
fragmentation: same keys
bool(true)
bool(true)
bool(true)
