--TEST--
USE_ZEND_ALLOC=0 with USE_TRACKED_ALLOC=1 (run-tests --asan mode): zmm stays off and scripts work
--EXTENSIONS--
zmm
--ENV--
USE_ZEND_ALLOC=0
USE_TRACKED_ALLOC=1
--FILE--
<?php
require __DIR__ . '/zmm.inc';
var_dump(zmm_enabled(), zmm_stats(true));
zmm_report('workload', zmm_workload());
echo "done\n";
?>
--EXPECT--
bool(false)
bool(false)
workload: ok
done
