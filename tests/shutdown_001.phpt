--TEST--
zmm: exit() inside a destructor ends the script, shutdown functions run, the heap stays consistent
--EXTENSIONS--
zmm
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
register_shutdown_function(function () {
    echo "shutdown function ran\n";
    zmm_check_report('check in shutdown');
});
class D
{
    public array $data = [];
    public function __construct() { for ($i = 0; $i < 1000; $i++) { $this->data[] = str_repeat('d', $i); } }
    public function __destruct() { echo "destructor: ", count($this->data), "\n"; exit(3); }
}
$keep = new D;          /* destroyed during shutdown, after the exit */
$o = new D;
unset($o);
echo "not reached\n";
?>
--EXPECT--
destructor: 1000
shutdown function ran
check in shutdown: ok
destructor: 1000
