--TEST--
zmm: strings above 32 MiB with str_repeat() and growth, with a big memory_limit
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=512M
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$r0 = memory_get_usage(true);
$h0 = zmm_stats(true)['counters']['huge_allocs'];

$a = str_repeat('a', 48 << 20);
var_dump(strlen($a), $a[0], $a[(48 << 20) - 1], substr_count($a, 'a') === 48 << 20);
var_dump(memory_get_usage(true) - $r0 >= 48 << 20);

$chunk = str_repeat('0123456789abcdef', 65536);   /* 1 MiB */
for ($i = 0; $i < 40; $i++) {
    $a .= $chunk;
}
var_dump(strlen($a) === (88 << 20));
var_dump(substr($a, 48 << 20, 16), substr($a, -16));
var_dump(md5(substr($a, 48 << 20)) === md5(str_repeat($chunk, 40)));
var_dump(memory_get_usage() >= 88 << 20);

$b = $a . 'x';                                     /* a second copy, 88 MiB + 1 */
var_dump(strlen($b), $b[strlen($b) - 1]);
echo 'huge_allocs grew: ', var_export(zmm_stats(true)['counters']['huge_allocs'] - $h0 >= 2, true), "\n";
zmm_report('invariants', zmm_invariants(zmm_stats()));

$peak = memory_get_usage(true);
unset($a, $b);
echo 'segments given back: ', var_export(memory_get_usage(true) < $peak - (150 << 20), true), "\n";
zmm_check_report('check');
?>
--EXPECT--
int(50331648)
string(1) "a"
string(1) "a"
bool(true)
bool(true)
bool(true)
string(16) "0123456789abcdef"
string(16) "0123456789abcdef"
bool(true)
bool(true)
int(92274689)
string(1) "x"
huge_allocs grew: true
invariants: ok
segments given back: true
check: ok
