--TEST--
zmm_debug_corrupt() left unrepaired: the request ends cleanly and the next request starts with a healthy heap
--EXTENSIONS--
zmm
--SKIPIF--
<?php
require __DIR__ . '/skipif_debug.inc';
$cgi = getenv('TEST_PHP_CGI_EXECUTABLE');
if (!$cgi || !is_executable($cgi)) die('skip php-cgi not available (TEST_PHP_CGI_EXECUTABLE)');
?>
--FILE--
<?php
$script = __DIR__ . '/check_005.tmp.php';
file_put_contents($script, <<<'PHP'
<?php
$c = zmm_check_heap();
echo 'start healthy: ', var_export($c['ok'], true), "\n";
$what = zmm_stats(true)['counters']['requests'] % 2 ? 'header' : 'free_link';
echo "corrupt $what: ", var_export(zmm_debug_corrupt($what), true), "\n";
echo 'damage seen: ', var_export(!zmm_check_heap()['ok'], true), "\n";
$a = [];
for ($i = 0; $i < 5000; $i++) { $a[] = str_repeat('x', $i % 600); }
echo "end of request\n";
PHP);
$cmd = 'env -u SCRIPT_FILENAME -u PATH_TRANSLATED -u REQUEST_METHOD -u QUERY_STRING -u CONTENT_TYPE'
     . ' -u CONTENT_LENGTH -u REDIRECT_STATUS -u HTTP_COOKIE '
     . escapeshellarg(getenv('TEST_PHP_CGI_EXECUTABLE')) . ' -n ' . getenv('TEST_PHP_EXTRA_ARGS')
     . ' -d html_errors=0 -d display_errors=1 -q -T 4 ' . escapeshellarg($script) . ' 2>&1 </dev/null';
exec($cmd, $lines, $rc);
echo implode("\n", array_filter($lines, fn($l) => $l !== '' && !str_starts_with($l, 'Elapsed time'))), "\n";
echo "exit status: $rc\n";
?>
--CLEAN--
<?php @unlink(__DIR__ . '/check_005.tmp.php'); ?>
--EXPECTF--
start healthy: true
corrupt %s: true
damage seen: true
end of request
start healthy: true
corrupt %s: true
damage seen: true
end of request
start healthy: true
corrupt %s: true
damage seen: true
end of request
start healthy: true
corrupt %s: true
damage seen: true
end of request
exit status: 0
