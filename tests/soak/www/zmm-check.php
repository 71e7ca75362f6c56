<?php
// zmm_check_heap() and zmm_stats(true) of the worker that serves this request, with consistency
// checks on the statistics, as JSON: {"pid", "ok", "stats_ok", "problems", "check", "stats"}.
// A short sleep keeps the worker busy so that concurrent requests spread over all workers.
header('Content-Type: application/json');
usleep(30000);
$out = ['pid' => getmypid(), 'ok' => false, 'stats_ok' => false, 'problems' => []];
if (!function_exists('zmm_check_heap') || !zmm_enabled()) {
    $out['problems'][] = 'zmm is not active in this worker';
    echo json_encode($out), "\n";
    return;
}
$check = zmm_check_heap();
$stats = zmm_stats(true);
$p = [];
$get = function (array $a, string $path) use (&$p) {
    $v = $a;
    foreach (explode('.', $path) as $k) {
        if (!is_array($v) || !array_key_exists($k, $v)) {
            $p[] = "zmm_stats(true) has no '$path'";
            return null;
        }
        $v = $v[$k];
    }
    return $v;
};
if (!is_array($check) || ($check['ok'] ?? false) !== true || ($check['errors'] ?? ['?']) !== []) {
    $p[] = 'zmm_check_heap: ' . json_encode($check);
}
if (!is_array($stats)) {
    $p[] = 'zmm_stats(true) returned ' . var_export($stats, true);
} else {
    $active = $get($stats, 'active');
    $seg = $get($stats, 'segment_size');
    $used = $get($stats, 'memory.used');
    $real = $get($stats, 'memory.real');
    $peak = $get($stats, 'memory.peak');
    $rpeak = $get($stats, 'memory.real_peak');
    $cached = $get($stats, 'memory.cached');
    $cbytes = $get($stats, 'cache.bytes');
    $climit = $get($stats, 'cache.limit');
    $cblocks = $get($stats, 'cache.blocks');
    $count = $get($stats, 'segments.count');
    $pcount = $get($stats, 'segments.peak_count');
    $free = $get($stats, 'segments.free_bytes');
    $largest = $get($stats, 'segments.largest_free_block');
    $allocs = $get($stats, 'counters.allocs');
    $frees = $get($stats, 'counters.frees');
    $reqs = $get($stats, 'counters.requests');
    if ($p === []) {
        $hdr = 64;   // per segment: segment header and guard block (upper bound checked loosely below)
        $acc = $used + $cached + $free;
        if ($active !== true) $p[] = 'stats: active is not true';
        if ($used <= 0 || $real <= 0) $p[] = "stats: used $used / real $real";
        if ($real % $seg !== 0) $p[] = "stats: real $real is not a multiple of the segment size $seg";
        if ($count * $seg > $real) $p[] = "stats: $count segments do not fit real $real";
        if ($acc > $real) $p[] = "stats: used $used + cached $cached + free $free > real $real";
        if ($real - $acc > $count * 4 * $hdr) $p[] = "stats: real $real - (used + cached + free) = " . ($real - $acc) . " is more than the overhead of $count segments";
        if ($cached !== $cbytes) $p[] = "stats: memory.cached $cached != cache.bytes $cbytes";
        if ($cached > $climit + 544) $p[] = "stats: cached $cached above the cache limit $climit";
        if (($cached === 0) !== ($cblocks === 0)) $p[] = "stats: cached $cached in $cblocks blocks";
        if ($largest > $free) $p[] = "stats: largest free block $largest > free bytes $free";
        if ($rpeak < $real) $p[] = "stats: real_peak $rpeak < real $real";
        if ($pcount < $count) $p[] = "stats: peak segment count $pcount < $count";
        if ($peak < $used) $p[] = "stats: peak $peak < used $used";
        if ($allocs < $frees) $p[] = "stats: frees $frees > allocs $allocs";
        if ($reqs < 1) $p[] = "stats: requests $reqs";
        $mu = memory_get_usage();
        if ($mu <= 0 || $mu > $real + $seg) $p[] = "memory_get_usage() $mu is out of range (real $real)";
    }
}
$out['ok'] = ($check['ok'] ?? false) === true;
$out['stats_ok'] = $p === [];
$out['problems'] = $p;
$out['check'] = $check;
$out['stats'] = $stats;
echo json_encode($out), "\n";
