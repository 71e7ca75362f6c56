--TEST--
zmm_stats(): keys in the documented order at every level, value types, 64 bucket rows
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
/* make sure there are segment rows, free large blocks and cached blocks to look at */
$keep = [];
for ($i = 0; $i < 40; $i++) {
    $keep[$i] = str_repeat('L', 9000 + $i * 100);
}
for ($i = 0; $i < 40; $i += 2) {
    unset($keep[$i]);
}
for ($i = 0; $i < 100; $i++) {
    $t = str_repeat('c', 60);
}
unset($t);

function shape(array $a, string $path = ''): void
{
    foreach ($a as $k => $v) {
        if (is_array($v) && array_is_list($v)) {
            echo "$path$k: list\n";
            if ($v !== []) {
                shape($v[0], "$path$k.0.");
            }
        } elseif (is_array($v)) {
            echo "$path$k: array\n";
            shape($v, "$path$k.");
        } else {
            echo "$path$k: ", get_debug_type($v), "\n";
        }
    }
}
$s = zmm_stats();
shape($s);
echo "rows: segments ", count($s['segments']['list']) >= 1 ? 'yes' : 'NO',
     ", buckets ", count($s['buckets']),
     ", classes ", count($s['classes']),
     ", large ", count($s['large']) >= 1 ? 'yes' : 'NO', "\n";
var_dump($s['active']);
?>
--EXPECT--
active: bool
storage: string
segment_size: int
memory: array
memory.used: int
memory.real: int
memory.peak: int
memory.real_peak: int
memory.limit: int
memory.cached: int
counters: array
counters.allocs: int
counters.frees: int
counters.reallocs: int
counters.huge_allocs: int
counters.foreign_frees: int
counters.shutdown_frees: int
counters.segments_allocated: int
counters.segments_released: int
counters.cache_hits: int
counters.cache_misses: int
counters.cache_refills: int
counters.medium_flushes: int
counters.limit_errors: int
counters.requests: int
cache: array
cache.bytes: int
cache.limit: int
cache.blocks: int
segments: array
segments.count: int
segments.peak_count: int
segments.free_bytes: int
segments.largest_free_block: int
segments.pool_bytes: int
segments.pool_limit: int
segments.list: list
segments.list.0.size: int
segments.list.0.used: int
segments.list.0.free: int
segments.list.0.free_blocks: int
segments.list.0.largest_free_block: int
buckets: list
buckets.0.index: int
buckets.0.block_size: int
buckets.0.min_request: int
buckets.0.max_request: int
buckets.0.free_blocks: int
buckets.0.cached_blocks: int
buckets.0.allocs: int
buckets.0.cache_hits: int
buckets.0.cache_misses: int
classes: list
classes.0.index: int
classes.0.block_size: int
classes.0.min_request: int
classes.0.max_request: int
classes.0.cached_blocks: int
classes.0.allocs: int
classes.0.cache_hits: int
classes.0.cache_misses: int
large: list
large.0.min_size: int
large.0.free_blocks: int
large.0.free_bytes: int
rest: array
rest.free_blocks: int
rest.free_bytes: int
fragmentation: array
fragmentation.free_bytes: int
fragmentation.largest_free_block: int
fragmentation.percentage: float
rows: segments yes, buckets 64, classes 18, large yes
bool(true)
