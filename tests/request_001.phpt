--TEST--
zmm under php-cgi -T: memory at request start stays flat over many requests, including requests ending in fatal errors
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
$script = __DIR__ . '/request_001.tmp.php';
file_put_contents($script, <<<'PHP'
<?php
$s = zmm_stats(true);
$req = $s['counters']['requests'];
printf("req %d used %d real %d\n", $req, $s['memory']['used'], $s['memory']['real']);
register_shutdown_function(function () { echo "shutdown\n"; });
class D { public $v; function __construct() { $this->v = str_repeat('d', 5000); } function __destruct() { exit(0); } }
$keep = [];
for ($i = 0; $i < 5000; $i++) {
    $keep[] = str_repeat('r', $i % 700);
}
eval('function f' . $req . '() { return ' . $req . '; }');
switch ($req % 5) {
    case 1: trigger_error('user fatal', E_USER_ERROR);
    case 2: $big = []; while (true) { $big[] = str_repeat('m', 1000); }
    case 3: throw new Exception('uncaught');
    case 4: $d = new D; unset($d);
}
echo "done\n";
PHP);
/* run-tests.php exports CGI variables (SCRIPT_FILENAME points at this test): clear them */
$cmd = 'env -u SCRIPT_FILENAME -u PATH_TRANSLATED -u REQUEST_METHOD -u QUERY_STRING -u CONTENT_TYPE'
     . ' -u CONTENT_LENGTH -u REDIRECT_STATUS -u HTTP_COOKIE '
     . escapeshellarg(getenv('TEST_PHP_CGI_EXECUTABLE')) . ' -n ' . getenv('TEST_PHP_EXTRA_ARGS')
     . ' -d memory_limit=16M -d html_errors=0 -d display_errors=1 -q -T 30 ' . escapeshellarg($script) . ' 2>&1 </dev/null';
$out = shell_exec($cmd);
preg_match_all('/^req (\d+) used (\d+) real (\d+)$/m', $out, $m, PREG_SET_ORDER);
echo count($m), " requests reported\n";
$reqs = array_map('intval', array_column($m, 1));
echo 'requests counter steps by one: ', var_export($reqs === range($reqs[0], $reqs[0] + 29), true), "\n";
$used = array_map('intval', array_slice(array_column($m, 2), 5));
$real = array_map('intval', array_slice(array_column($m, 3), 5));
echo 'used at request start is flat: ', var_export(max($used) - min($used) < 1024, true), "\n";
echo 'real at request start is flat: ', var_export(max($real) === min($real), true), "\n";
echo 'fatal errors seen: ', substr_count($out, 'Fatal error: user fatal'), ' user, ',
     substr_count($out, 'Allowed memory size of 16777216 bytes exhausted'), ' limit, ',
     substr_count($out, 'Uncaught Exception: uncaught'), " uncaught\n";
echo 'shutdown functions: ', substr_count($out, "shutdown\n"), "\n";
if (preg_match('/Segmentation|corrupt|Termsig|Aborted/i', $out)) {
    echo $out;
}
?>
--CLEAN--
<?php @unlink(__DIR__ . '/request_001.tmp.php'); ?>
--EXPECT--
30 requests reported
requests counter steps by one: true
used at request start is flat: true
real at request start is flat: true
fatal errors seen: 6 user, 6 limit, 6 uncaught
shutdown functions: 30
