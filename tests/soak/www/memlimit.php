<?php
// Exceeds memory_limit with live data (arrays and strings). Expected: 500 with
// "Allowed memory size of 8388608 bytes exhausted" in the error log.
ini_set('memory_limit', '8M');
$a = [];
for ($i = 0; ; $i++) {
    $a[] = str_repeat(chr(65 + $i % 26), 1000 + $i % 3000);
    if ($i % 64 === 0) {
        $a[] = range(0, 200);
    }
}
