--TEST--
zmm counters grow with the work done: allocs, frees, reallocs, huge_allocs, segments, cache hits
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
function counters(): array { return zmm_stats(true)['counters']; }
$seg = zmm_stats(true)['segment_size'];

$c0 = counters();
$data = [];
for ($i = 0; $i < 10000; $i++) {
    $data[] = str_repeat('a', 50 + $i % 100);      /* 10000 emallocs of strings */
}
$c1 = counters();
echo 'allocs grew by >= 10000: ', var_export($c1['allocs'] - $c0['allocs'] >= 10000, true), "\n";

unset($data);
$c2 = counters();
echo 'frees grew by >= 10000: ', var_export($c2['frees'] - $c1['frees'] >= 10000, true), "\n";

$s = '';
for ($i = 0; $i < 5000; $i++) {
    $s .= 'xy';                                    /* in-place growth: erealloc */
}
$c3 = counters();
echo 'reallocs grew by >= 1000: ', var_export($c3['reallocs'] - $c2['reallocs'] >= 1000, true), "\n";

$huge = str_repeat('h', 3 * $seg);
$c4 = counters();
echo 'huge_allocs grew: ', var_export($c4['huge_allocs'] > $c3['huge_allocs'], true), "\n";
echo 'segments_allocated grew: ', var_export($c4['segments_allocated'] > $c3['segments_allocated'], true), "\n";
unset($huge);
$c5 = counters();
echo 'segments_released grew: ', var_export($c5['segments_released'] > $c4['segments_released'], true), "\n";

$hundred = 100 + (int) getenv('ZMM_TEST_NOT_SET');   /* runtime value: opcache must not fold str_repeat() */
for ($i = 0; $i < 1000; $i++) {
    $t = str_repeat('c', $hundred);                     /* same size freed and allocated again */
    unset($t);
}
$c6 = counters();
echo 'cache_hits grew by >= 900: ', var_export($c6['cache_hits'] - $c5['cache_hits'] >= 900, true), "\n";

$all = [$c0, $c1, $c2, $c3, $c4, $c5, $c6];
$bad = [];
for ($i = 1; $i < count($all); $i++) {
    foreach ($all[$i] as $k => $v) {
        if ($v < $all[$i - 1][$k]) {
            $bad[] = "$k went down between snapshot " . ($i - 1) . " and $i";
        }
    }
}
echo 'monotonic: ', $bad ? implode(', ', $bad) : 'ok', "\n";
echo 'frees <= allocs: ', var_export($c6['frees'] <= $c6['allocs'], true), "\n";
echo 'requests >= 1: ', var_export($c6['requests'] >= 1, true), "\n";
?>
--EXPECT--
allocs grew by >= 10000: true
frees grew by >= 10000: true
reallocs grew by >= 1000: true
huge_allocs grew: true
segments_allocated grew: true
segments_released grew: true
cache_hits grew by >= 900: true
monotonic: ok
frees <= allocs: true
requests >= 1: true
