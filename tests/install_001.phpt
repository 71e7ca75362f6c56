--TEST--
zmm is the active heap: zmm_enabled(), zmm_stats() and the phpinfo() section (active, storage, segment size)
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zmm.storage=mmap_zero
zmm.segment_size=512K
--FILE--
<?php
require __DIR__ . '/zmm.inc';
var_dump(zmm_enabled());
$s = zmm_stats(true);
var_dump(is_array($s), $s['active']);

$rows = zmm_phpinfo();
$find = function (string $re) use ($rows): ?string {
    foreach ($rows as $k => $v) {
        if (!str_starts_with($k, 'zmm.') && preg_match($re, $k)) {
            return $v;
        }
    }
    return null;
};
$problems = [];
$active = $find('/activ/i');
if ($active === null || !preg_match('/^(yes|on|enabled|true|1|active)\b/i', $active)) {
    $problems[] = 'active row: ' . var_export($active, true);
}
$storage = $find('/storage/i');
if ($storage === null || !str_contains($storage, 'mmap_zero')) {
    $problems[] = 'storage row: ' . var_export($storage, true);
}
$seg = $find('/segment.?size/i');
if ($seg === null || !preg_match('/\b(524288|512\s*K)/i', $seg)) {
    $problems[] = 'segment size row: ' . var_export($seg, true);
}
foreach (['zmm.enable', 'zmm.storage', 'zmm.segment_size', 'zmm.cache_size', 'zmm.protection', 'zmm.keep_segments'] as $d) {
    if (!isset($rows[$d])) {
        $problems[] = "directive $d missing";
    }
}
if ($problems) {
    $problems[] = 'section: ' . json_encode($rows);
}
zmm_report('phpinfo', $problems);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
phpinfo: ok
