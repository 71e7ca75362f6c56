--TEST--
zmm: the INI settings take precedence over ZEND_MM_MEM_TYPE and ZEND_MM_SEG_SIZE
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--ENV--
ZEND_MM_MEM_TYPE=malloc
ZEND_MM_SEG_SIZE=131072
--INI--
zmm.storage=mmap_zero
zmm.segment_size=512K
--FILE--
<?php
$s = zmm_stats(true);
var_dump($s['storage'], $s['segment_size'], ini_get('zmm.storage'), ini_get('zmm.segment_size'));
?>
--EXPECT--
string(9) "mmap_zero"
int(524288)
string(9) "mmap_zero"
string(4) "512K"
