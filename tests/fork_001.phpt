--TEST--
zmm and pcntl_fork(): the child allocates, frees and exits; the parent's heap stays consistent
--EXTENSIONS--
zmm
pcntl
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/zmm.inc';
$parentData = [];
for ($i = 0; $i < 20000; $i++) {
    $parentData[] = str_repeat('p', $i % 600);
}
$pid = pcntl_fork();
if ($pid === 0) {
    $problems = zmm_workload(1);
    unset($parentData);
    $c = zmm_check_heap();
    echo 'child: ', ($problems === [] && $c['ok']) ? 'ok' : 'FAILED ' . json_encode([$problems, $c['errors']]), "\n";
    exit(7);
}
pcntl_waitpid($pid, $status);
echo 'child exit status: ', pcntl_wexitstatus($status), "\n";
$bad = 0;
foreach ($parentData as $i => $v) {
    if ($v !== str_repeat('p', $i % 600)) {
        $bad++;
    }
}
echo "parent data damaged: $bad\n";
zmm_report('parent workload', zmm_workload(1));
zmm_check_report('parent check');
?>
--EXPECT--
child: ok
child exit status: 7
parent data damaged: 0
parent workload: ok
parent check: ok
