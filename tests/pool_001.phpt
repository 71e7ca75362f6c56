--TEST--
zmm storage pool: zmm.keep_segments sets how much of a big request's memory the pool keeps mapped for the next requests (segments.pool_bytes, segments.pool_limit), and gc_mem_caches() empties it
--EXTENSIONS--
zmm
--SKIPIF--
<?php
require __DIR__ . '/skipif.inc';
$cgi = getenv('TEST_PHP_CGI_EXECUTABLE');
if (!$cgi || !is_executable($cgi)) die('skip php-cgi not available (TEST_PHP_CGI_EXECUTABLE)');
?>
--FILE--
<?php
$script = __DIR__ . '/pool_001.tmp.php';
file_put_contents($script, <<<'PHP'
<?php
$s = zmm_stats(true);
$n = $s['counters']['requests'];
printf("req %d pool %d limit %d segments_allocated %d\n", $n, $s['segments']['pool_bytes'],
    $s['segments']['pool_limit'], $s['counters']['segments_allocated']);
if ($n === 2) {
    $keep = [];
    for ($i = 0; $i < 8000; $i++) {
        $keep[] = str_repeat('p', 1000 + $i % 2);       /* about 8 MiB in standard segments */
    }
    echo "big request done\n";
}
if ($n === 9) {
    gc_mem_caches();
    $s = zmm_stats(true);
    printf("after gc_mem_caches pool %d\n", $s['segments']['pool_bytes']);
}
PHP);
$cmd = 'env -u SCRIPT_FILENAME -u PATH_TRANSLATED -u REQUEST_METHOD -u QUERY_STRING -u CONTENT_TYPE'
     . ' -u CONTENT_LENGTH -u REDIRECT_STATUS -u HTTP_COOKIE '
     . escapeshellarg(getenv('TEST_PHP_CGI_EXECUTABLE')) . ' -n ' . getenv('TEST_PHP_EXTRA_ARGS')
     . ' -d memory_limit=64M -d display_errors=1 -d zmm.keep_segments=20 -q -T 9 ' . escapeshellarg($script) . ' 2>&1 </dev/null';
$out = shell_exec($cmd);
preg_match_all('/^req (\d+) pool (\d+) limit (\d+) segments_allocated (\d+)$/m', $out, $m, PREG_SET_ORDER);
$seg = zmm_stats(true)['segment_size'];
$r = [];
foreach ($m as $row) {
    $r[(int)$row[1]] = ['pool' => (int)$row[2], 'limit' => (int)$row[3], 'alloc' => (int)$row[4]];
}
echo count($r), " requests\n";
echo "the limit is 2 * keep_segments + 4 segments: ", var_export($r[2]['limit'] === 44 * $seg && $r[9]['limit'] === 44 * $seg, true), "\n";
echo "the first request's end reserved keep_segments segments in it: ", var_export($r[2]['pool'] >= 20 * $seg && $r[2]['pool'] <= 44 * $seg, true), "\n";
echo "after it the pool keeps most of its segments: ", var_export($r[4]['pool'] >= 6 << 20 && $r[4]['pool'] <= 44 * $seg, true), "\n";
echo "five light requests later it still does: ", var_export($r[9]['pool'] >= 6 << 20, true), "\n";
echo "light requests take their segments from it, not from the OS: ", var_export($r[9]['alloc'] - $r[4]['alloc'] <= 5 * 4, true), "\n";
echo preg_match('/after gc_mem_caches pool 0$/m', $out) ? "gc_mem_caches() empties the pool\n" : $out;
if (preg_match('/Segmentation|corrupt|Termsig|Aborted|Warning|Fatal/i', $out)) {
    echo $out;
}
?>
--CLEAN--
<?php @unlink(__DIR__ . '/pool_001.tmp.php'); ?>
--EXPECT--
9 requests
the limit is 2 * keep_segments + 4 segments: true
the first request's end reserved keep_segments segments in it: true
after it the pool keeps most of its segments: true
five light requests later it still does: true
light requests take their segments from it, not from the OS: true
gc_mem_caches() empties the pool
