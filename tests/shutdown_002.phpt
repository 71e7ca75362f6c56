--TEST--
zmm: an uncaught exception ends the script, shutdown functions and destructors run on a consistent heap
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
class D { public function __destruct() { echo "destructor ran\n"; } }
$d = new D;
$keep = range(1, 10000);
function thrower(int $n): void
{
    $local = str_repeat('l', 1000 * $n);
    if ($n === 0) {
        throw new RuntimeException('boom');
    }
    thrower($n - 1);
}
thrower(3);
echo "not reached\n";
?>
--EXPECTF--
Fatal error: Uncaught RuntimeException: boom in %s:%d
Stack trace:
#0 %s(%d): thrower(0)
#1 %s(%d): thrower(1)
#2 %s(%d): thrower(2)
#3 %s(%d): thrower(3)
#4 {main}
  thrown in %s on line %d
shutdown function ran
check in shutdown: ok
destructor ran
