--TEST--
zmm with opcache enabled in the CLI: workload, includes and counters are correct
--EXTENSIONS--
zmm
opcache
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
opcache.enable=1
opcache.enable_cli=1
opcache.jit=0
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$st = opcache_get_status(false);
var_dump($st['opcache_enabled']);

$file = __DIR__ . '/opcache_001.tmp.php';
$code = "<?php\n";
for ($i = 0; $i < 200; $i++) {
    $code .= "function opc_f$i(\$x) { return \$x * $i + strlen('constant string number $i'); }\n";
}
$code .= "return 'included';\n";
file_put_contents($file, $code);

$c0 = zmm_stats(true)['counters'];
var_dump(include $file);
$sum = 0;
for ($i = 0; $i < 200; $i++) {
    $sum += ("opc_f$i")(2);
}
$expected = 0;
for ($i = 0; $i < 200; $i++) {
    $expected += 2 * $i + strlen("constant string number $i");
}
var_dump($sum === $expected);
var_dump(opcache_is_script_cached($file));
zmm_report('workload', zmm_workload(2));
$c1 = zmm_stats(true)['counters'];
echo 'allocs grew: ', var_export($c1['allocs'] - $c0['allocs'] > 10000, true), "\n";
zmm_report('invariants', zmm_invariants(zmm_stats()));
zmm_check_report('check');
?>
--CLEAN--
<?php @unlink(__DIR__ . '/opcache_001.tmp.php'); ?>
--EXPECT--
bool(true)
string(8) "included"
bool(true)
bool(true)
workload: ok
allocs grew: true
invariants: ok
check: ok
