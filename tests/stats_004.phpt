--TEST--
zmm_stats(): bucket table (block_size = 32 + 8*i, request ranges) and allocations land in the listed bucket
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
$b = zmm_stats()['buckets'];
var_dump(count($b));
foreach ([0, 1, 2, 31, 62, 63] as $i) {
    printf("bucket %2d: index %d block %d requests %d..%d\n", $i, $b[$i]['index'], $b[$i]['block_size'], $b[$i]['min_request'], $b[$i]['max_request']);
}

/* str_repeat('q', $n) asks emalloc for exactly $n + 32 bytes (zend_string_safe_alloc). */
function bucket_of(array $buckets, int $request): ?int
{
    foreach ($buckets as $row) {
        if ($row['min_request'] <= $request && $request <= $row['max_request']) {
            return $row['index'];
        }
    }
    return null;
}
foreach ([2, 8, 50, 100, 300, 480, 488, 489, 600] as $n) {
    $expected = bucket_of($b, $n + 32);
    $before = array_column(zmm_stats()['buckets'], 'allocs');
    $keep = [];
    for ($i = 0; $i < 2000; $i++) {
        $keep[] = str_repeat('q', $n);
    }
    $after = array_column(zmm_stats()['buckets'], 'allocs');
    $grown = [];
    foreach ($after as $i => $v) {
        if ($v - $before[$i] >= 2000) {
            $grown[] = $i;
        }
    }
    printf("request %3d: listed in bucket %s, 2000 allocs seen in bucket %s\n", $n + 32,
        $expected ?? 'none', $grown ? implode(',', $grown) : 'none');
    unset($keep);
}
?>
--EXPECT--
int(64)
bucket  0: index 0 block 32 requests 0..16
bucket  1: index 1 block 40 requests 17..24
bucket  2: index 2 block 48 requests 25..32
bucket 31: index 31 block 280 requests 257..264
bucket 62: index 62 block 528 requests 505..512
bucket 63: index 63 block 536 requests 513..520
request  34: listed in bucket 3, 2000 allocs seen in bucket 3
request  40: listed in bucket 3, 2000 allocs seen in bucket 3
request  82: listed in bucket 9, 2000 allocs seen in bucket 9
request 132: listed in bucket 15, 2000 allocs seen in bucket 15
request 332: listed in bucket 40, 2000 allocs seen in bucket 40
request 512: listed in bucket 62, 2000 allocs seen in bucket 62
request 520: listed in bucket 63, 2000 allocs seen in bucket 63
request 521: listed in bucket none, 2000 allocs seen in bucket none
request 632: listed in bucket none, 2000 allocs seen in bucket none
