--TEST--
zmm: include- and eval-heavy script (compiler allocations, interned strings, arena) with a consistent heap
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$dir = __DIR__ . '/include_001.tmp';
@mkdir($dir);
$c0 = zmm_stats(true)['counters'];
$expected = 0;
for ($f = 0; $f < 20; $f++) {
    $code = "<?php\nnamespace Inc$f;\n";
    for ($i = 0; $i < 50; $i++) {
        $code .= "const C$i = 'constant string $f/$i';\n";
        $code .= "class K$i { public \$p = [$i, 'prop $f/$i']; function m(\$x) { return \$x + $i + strlen(C$i); } }\n";
        $code .= "function f$i(\$x) { return (new K$i)->m(\$x) * 2; }\n";
        $expected += ($f + $i + strlen("constant string $f/$i")) * 2;
    }
    $code .= "return $f;\n";
    file_put_contents("$dir/inc$f.php", $code);
}
$sum = 0;
for ($f = 0; $f < 20; $f++) {
    if ((include "$dir/inc$f.php") !== $f) {
        echo "include $f returned something else\n";
    }
    for ($i = 0; $i < 50; $i++) {
        $sum += ("Inc$f\\f$i")($f);
    }
}
var_dump($sum === $expected);

$evalSum = 0;
for ($i = 0; $i < 2000; $i++) {
    $evalSum += eval("\$a = ['e$i' => str_repeat('v', $i % 97)]; return strlen(\$a['e$i']) + $i;");
}
$expect = 0;
for ($i = 0; $i < 2000; $i++) {
    $expect += $i % 97 + $i;
}
var_dump($evalSum === $expect);

$closures = [];
for ($i = 0; $i < 500; $i++) {
    $closures[] = eval("return function () { return 'closure $i'; };");
}
var_dump($closures[499]());

$c1 = zmm_stats(true)['counters'];
echo 'compiling went through zmm: ', var_export($c1['allocs'] - $c0['allocs'] > 50000, true), "\n";
zmm_report('invariants', zmm_invariants(zmm_stats()));
zmm_check_report('check');
?>
--CLEAN--
<?php
$dir = __DIR__ . '/include_001.tmp';
foreach (glob("$dir/*.php") ?: [] as $f) {
    @unlink($f);
}
@rmdir($dir);
?>
--EXPECT--
bool(true)
bool(true)
string(11) "closure 499"
compiling went through zmm: true
invariants: ok
check: ok
