--TEST--
zmm INI defaults are reported by ini_get() and zmm_stats()
--EXTENSIONS--
zmm
--SKIPIF--
<?php
require __DIR__ . '/skipif.inc';
if (getenv('ZEND_MM_MEM_TYPE') !== false || getenv('ZEND_MM_SEG_SIZE') !== false) die('skip ZEND_MM_* set in the environment');
?>
--INI--
memory_limit=64M
--FILE--
<?php
foreach (['zmm.enable', 'zmm.storage', 'zmm.segment_size', 'zmm.cache_size', 'zmm.protection', 'zmm.keep_segments'] as $name) {
    var_dump(ini_get($name));
}
$s = zmm_stats(true);
var_dump($s['active'], $s['storage'], $s['segment_size'], $s['cache']['limit'], $s['memory']['limit']);
var_dump(zmm_enabled());
?>
--EXPECT--
string(1) "1"
string(9) "mmap_anon"
string(4) "256K"
string(3) "64M"
string(1) "0"
string(1) "4"
bool(true)
string(9) "mmap_anon"
int(262144)
int(67108864)
int(67108864)
bool(true)
