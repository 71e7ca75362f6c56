--TEST--
memory_limit: infallible overflow (array growth) gives the native fatal error, shutdown functions run
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=8M
--FILE--
<?php
register_shutdown_function(function () {
    $s = zmm_stats(true);
    echo "shutdown function ran\n";
    echo 'limit_errors counted: ', var_export($s['counters']['limit_errors'] >= 1, true), "\n";
    var_dump($s['memory']['limit']);
    $e = error_get_last();
    var_dump($e['type'] === E_ERROR);
});
var_dump(zmm_stats(true)['memory']['limit']);
$a = [];
for ($i = 0; ; $i++) {
    $a[] = $i;
}
echo "not reached\n";
?>
--EXPECTF--
int(8388608)

Fatal error: Allowed memory size of 8388608 bytes exhausted (tried to allocate %d bytes) in %s on line 13
shutdown function ran
limit_errors counted: true
int(8388608)
bool(true)
