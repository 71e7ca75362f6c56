--TEST--
memory_get_usage() and memory_get_peak_usage() (both modes) equal zmm_stats() taken right after them
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
/* Nothing allocates between the two calls of a pair, and zmm_stats() takes its snapshot before it
 * builds the result array, so each pair must agree exactly. */
function pairs(string $label): void
{
    $u = memory_get_usage();
    $s1 = zmm_stats(true);
    $r = memory_get_usage(true);
    $s2 = zmm_stats(true);
    $p = memory_get_peak_usage();
    $s3 = zmm_stats(true);
    $rp = memory_get_peak_usage(true);
    $s4 = zmm_stats();                 /* the full snapshot must agree too */
    $seg = $s4['segment_size'];
    $bad = [];
    if ($u !== $s1['memory']['used']) $bad[] = "memory_get_usage() $u != used {$s1['memory']['used']}";
    if ($r !== $s2['memory']['real']) $bad[] = "memory_get_usage(true) $r != real {$s2['memory']['real']}";
    if ($p !== $s3['memory']['peak']) $bad[] = "memory_get_peak_usage() $p != peak {$s3['memory']['peak']}";
    if ($rp !== $s4['memory']['real_peak']) $bad[] = "memory_get_peak_usage(true) $rp != real_peak {$s4['memory']['real_peak']}";
    if ($r % $seg !== 0) $bad[] = "memory_get_usage(true) $r is not a multiple of $seg";
    if ($u > $r) $bad[] = "memory_get_usage() $u > memory_get_usage(true) $r";
    if ($p < $u) $bad[] = "peak $p < usage $u";
    if ($rp < $r) $bad[] = "real peak $rp < real $r";
    echo "$label: ", $bad ? implode('; ', $bad) : 'ok', "\n";
}

pairs('start');
$u0 = memory_get_usage();
$small = [];
for ($i = 0; $i < 20000; $i++) {
    $small[] = str_repeat('s', 100 + $i % 300);
}
$u1 = memory_get_usage();
echo 'usage grew by at least the string bytes: ', var_export($u1 - $u0 >= 20000 * 100, true), "\n";
pairs('small strings');
$big = str_repeat('b', 5 << 20);
$u2 = memory_get_usage();
echo 'usage grew by at least 5 MiB: ', var_export($u2 - $u1 >= 5 << 20, true), "\n";
pairs('huge string');
unset($big);
$u3 = memory_get_usage();
echo 'usage dropped by at least 5 MiB: ', var_export($u2 - $u3 >= 5 << 20, true), "\n";
pairs('huge freed');
unset($small);
$u4 = memory_get_usage();
echo 'usage back near the start: ', var_export($u4 - $u0 < 65536, true), "\n";
pairs('all freed');
gc_mem_caches();
pairs('after gc_mem_caches');
?>
--EXPECT--
start: ok
usage grew by at least the string bytes: true
small strings: ok
usage grew by at least 5 MiB: true
huge string: ok
usage dropped by at least 5 MiB: true
huge freed: ok
usage back near the start: true
all freed: ok
after gc_mem_caches: ok
