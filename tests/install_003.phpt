--TEST--
USE_ZEND_ALLOC=0: zmm stays off, zmm_stats() is false without a warning, scripts work
--EXTENSIONS--
zmm
--ENV--
USE_ZEND_ALLOC=0
--FILE--
<?php
require __DIR__ . '/zmm.inc';
var_dump(getenv('USE_ZEND_ALLOC'));
var_dump(zmm_enabled());
var_dump(zmm_stats());
var_dump(zmm_stats(true));
var_dump(is_int(zmm_gc()));
var_dump(is_int(gc_mem_caches()));
zmm_report('workload', zmm_workload());
$o = new ArrayObject(range(1, 1000));
var_dump(array_sum($o->getArrayCopy()));

$rows = zmm_phpinfo();
$why = false;
foreach ($rows as $k => $v) {
    if (!str_starts_with($k, 'zmm.') && str_contains($v, 'USE_ZEND_ALLOC')) {
        $why = true;
    }
}
zmm_report('phpinfo names USE_ZEND_ALLOC', $why ? [] : ['section: ' . json_encode($rows)]);
echo "done\n";
?>
--EXPECT--
string(1) "0"
bool(false)
bool(false)
bool(false)
bool(true)
bool(true)
workload: ok
int(500500)
phpinfo names USE_ZEND_ALLOC: ok
done
