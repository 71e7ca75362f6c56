--TEST--
memory_limit: limit set just above the current usage, with html_errors on: the error is reported without recursion
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
html_errors=1
display_errors=1
memory_limit=64M
--FILE--
<?php
register_shutdown_function(function () {
    echo "shutdown function ran\n";
});
$limit = memory_get_usage(true) + 1;
var_dump(ini_set('memory_limit', (string) $limit));
var_dump(zmm_stats(true)['memory']['limit'] === $limit);
$a = [];
while (true) {
    $a[] = str_repeat('x', 100);
}
?>
--EXPECTF--
string(3) "64M"
bool(true)
<br />
<b>Fatal error</b>:  Allowed memory size of %d bytes exhausted (tried to allocate %d bytes) in <b>%s</b> on line <b>10</b><br />
shutdown function ran
