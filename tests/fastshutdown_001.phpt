--TEST--
zmm.fast_shutdown: the engine's end-of-request frees of the request's heap are left to the reset (counters.shutdown_frees), memory stays flat, and zmm.fast_shutdown=0 frees them all
--EXTENSIONS--
zmm
--SKIPIF--
<?php
require __DIR__ . '/skipif.inc';
$cgi = getenv('TEST_PHP_CGI_EXECUTABLE');
if (!$cgi || !is_executable($cgi)) die('skip php-cgi not available (TEST_PHP_CGI_EXECUTABLE)');
?>
--FILE--
<?php
$script = __DIR__ . '/fastshutdown_001.tmp.php';
file_put_contents($script, <<<'PHP'
<?php
$s = zmm_stats(true);
printf("req %d shutdown_frees %d frees %d used %d real %d\n", $s['counters']['requests'],
    $s['counters']['shutdown_frees'], $s['counters']['frees'], $s['memory']['used'], $s['memory']['real']);
/* left for the engine to free at the end: 2000 strings and 200 objects in globals, functions, classes */
$strings = [];
for ($i = 0; $i < 2000; $i++) {
    $strings[] = str_repeat(chr(97 + $i % 26), 1 + $i % 90);
}
class Box { public array $items = []; public function __construct(public string $name) {} }
$boxes = [];
for ($i = 0; $i < 200; $i++) {
    $b = new Box("box $i");
    $b->items = [$i, "item $i", [$i]];
    $boxes[] = $b;
}
$n = $s['counters']['requests'];
eval("function declared_in_request_$n() { return $n; } class DeclaredInRequest$n { function m() { return [1, 2, 3]; } }");
echo checksum(), "\n";
function checksum() { global $strings, $boxes; return md5(implode(',', $strings)) . ' ' . count($boxes); }
PHP);
function run(string $script, string $ini): array
{
    /* run-tests.php exports CGI variables (SCRIPT_FILENAME points at this test): clear them */
    $cmd = 'env -u SCRIPT_FILENAME -u PATH_TRANSLATED -u REQUEST_METHOD -u QUERY_STRING -u CONTENT_TYPE'
         . ' -u CONTENT_LENGTH -u REDIRECT_STATUS -u HTTP_COOKIE '
         . escapeshellarg(getenv('TEST_PHP_CGI_EXECUTABLE')) . ' -n ' . getenv('TEST_PHP_EXTRA_ARGS')
         . " $ini -d display_errors=1 -q -T 8 " . escapeshellarg($script) . ' 2>&1 </dev/null';
    $out = shell_exec($cmd);
    preg_match_all('/^req (\d+) shutdown_frees (\d+) frees (\d+) used (\d+) real (\d+)$/m', $out, $m, PREG_SET_ORDER);
    if (count($m) !== 8 || preg_match('/Segmentation|corrupt|Termsig|Aborted|Warning|Fatal/i', $out)) {
        echo $out;
    }
    return $m;
}
foreach (['on' => '', 'off' => '-d zmm.fast_shutdown=0'] as $mode => $ini) {
    $m = run($script, $ini);
    $dropped = [];
    $freed = [];
    for ($i = 1; $i < count($m); $i++) {
        $dropped[] = (int)$m[$i][2] - (int)$m[$i - 1][2];
        $freed[] = (int)$m[$i][3] - (int)$m[$i - 1][3];
    }
    $used = array_map('intval', array_slice(array_column($m, 4), 2));
    $real = array_map('intval', array_slice(array_column($m, 5), 2));
    echo "$mode: ", count($m), " requests\n";
    echo "  the previous request's end left at least 2400 frees to the reset: ", var_export(min($dropped) >= 2400, true), "\n";
    echo "  no frees left to the reset: ", var_export(max($dropped) === 0, true), "\n";
    echo "  used at request start is flat: ", var_export(max($used) - min($used) < 1024, true), "\n";
    echo "  real at request start is flat: ", var_export(max($real) === min($real), true), "\n";
    $freedPerRequest[$mode] = min($freed);
}
echo "fast shutdown saves at least 2400 frees per request: ",
    var_export($freedPerRequest['off'] - $freedPerRequest['on'] >= 2400, true), "\n";
?>
--CLEAN--
<?php @unlink(__DIR__ . '/fastshutdown_001.tmp.php'); ?>
--EXPECT--
on: 8 requests
  the previous request's end left at least 2400 frees to the reset: true
  no frees left to the reset: false
  used at request start is flat: true
  real at request start is flat: true
off: 8 requests
  the previous request's end left at least 2400 frees to the reset: false
  no frees left to the reset: true
  used at request start is flat: true
  real at request start is flat: true
fast shutdown saves at least 2400 frees per request: true
