--TEST--
zmm.enable=0: zmm stays off, zmm_stats() is false without a warning, the native heap works
--EXTENSIONS--
zmm
--INI--
zmm.enable=0
memory_limit=128M
--FILE--
<?php
require __DIR__ . '/zmm.inc';
var_dump(zmm_enabled());
var_dump(zmm_stats());
var_dump(zmm_stats(true));
var_dump(is_int(zmm_gc()));
/* the native ZendMM keeps its own accounting */
$u0 = memory_get_usage();
$big = str_repeat('x', 1 << 20);
var_dump(memory_get_usage() - $u0 >= 1 << 20);
unset($big);
var_dump(is_int(gc_mem_caches()));
zmm_report('workload', zmm_workload());

$rows = zmm_phpinfo();
$why = false;
foreach ($rows as $k => $v) {
    if (!str_starts_with($k, 'zmm.') && str_contains($v, 'zmm.enable')) {
        $why = true;
    }
}
zmm_report('phpinfo names zmm.enable', $why ? [] : ['section: ' . json_encode($rows)]);
echo "done\n";
?>
--EXPECT--
bool(false)
bool(false)
bool(false)
bool(true)
bool(true)
bool(true)
workload: ok
phpinfo names zmm.enable: ok
done
