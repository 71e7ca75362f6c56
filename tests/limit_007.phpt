--TEST--
memory_limit: ini_set() at runtime raises, lowers (refused below the current usage) and removes (-1) the limit
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=16M
--FILE--
<?php
function limit(): int { return zmm_stats(true)['memory']['limit']; }
var_dump(limit());
$big = str_repeat('b', 6 << 20);
$real = memory_get_usage(true);
var_dump(ini_set('memory_limit', '2M'));
preg_match('/Current memory usage is (\d+) bytes/', error_get_last()['message'], $m);
echo 'reported usage is the current real usage: ', var_export($m[1] >= $real && $m[1] <= $real + zmm_stats(true)['segment_size'], true), "\n";
var_dump(ini_get('memory_limit'), limit());

var_dump(ini_set('memory_limit', '64M'));
var_dump(limit());
$big2 = str_repeat('c', 40 << 20);           /* above the old limit */
var_dump(strlen($big2));

var_dump(ini_set('memory_limit', '-1'));
var_dump(limit());
$big3 = str_repeat('d', 100 << 20);
var_dump(strlen($big3));
unset($big2, $big3);

var_dump(memory_get_usage(true) < 24 << 20);
var_dump(ini_set('memory_limit', '24M'));    /* above the current usage: accepted */
var_dump(limit(), ini_get('memory_limit'));
register_shutdown_function(function () {
    echo "shutdown function ran\n";
    echo 'limit_errors counted: ', var_export(zmm_stats(true)['counters']['limit_errors'] >= 1, true), "\n";
});
$big4 = str_repeat('e', 30 << 20);           /* above the lowered limit */
echo "not reached\n";
?>
--EXPECTF--
int(16777216)

Warning: Failed to set memory limit to 2097152 bytes (Current memory usage is %d bytes) in %s on line 6
bool(false)
reported usage is the current real usage: true
string(3) "16M"
int(16777216)
string(3) "16M"
int(67108864)
int(41943040)
string(3) "64M"
int(-1)
int(104857600)
bool(true)
string(2) "-1"
int(25165824)
string(3) "24M"

Fatal error: Allowed memory size of 25165824 bytes exhausted (tried to allocate %d bytes) in %s on line 29
shutdown function ran
limit_errors counted: true
