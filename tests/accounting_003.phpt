--TEST--
memory_get_peak_usage() (both modes) and memory_reset_peak_usage()
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
$base = memory_get_usage();
$x = str_repeat('x', 8 << 20);
$realWithX = memory_get_usage(true);
unset($x);
$afterFree = memory_get_usage();
$peak1 = memory_get_peak_usage();
$rpeak1 = memory_get_peak_usage(true);
var_dump($peak1 >= $base + (8 << 20));
var_dump($rpeak1 >= $realWithX && $rpeak1 >= 8 << 20);
var_dump($afterFree < $peak1 - (7 << 20));
var_dump(memory_get_peak_usage() === $peak1);        /* the peak stays after the free */
var_dump(memory_get_peak_usage(true) === $rpeak1);

var_dump(memory_reset_peak_usage());
$p = memory_get_peak_usage();
$u = memory_get_usage();
var_dump($p === $u);                                  /* right after a reset, peak == usage */
$rp = memory_get_peak_usage(true);
$r = memory_get_usage(true);
var_dump($rp === $r);
var_dump($p < $peak1 - (7 << 20));

$y = str_repeat('y', 2 << 20);                        /* the peak follows new growth */
$p2 = memory_get_peak_usage();
var_dump($p2 >= $u + (2 << 20), $p2 < $peak1);
$s = zmm_stats(true);
var_dump($s['memory']['peak'] >= $p2, $s['memory']['real_peak'] >= memory_get_usage(true));
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
NULL
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
