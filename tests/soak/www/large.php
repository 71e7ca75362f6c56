<?php
// A ~1 MiB response built in memory, then a streamed part. Expected: 200, exactly 1048576 bytes.
header('Content-Type: application/octet-stream');
$chunk = str_repeat('0123456789abcdef', 4096);      // 64 KiB
$parts = [];
for ($i = 0; $i < 8; $i++) {
    $parts[] = $chunk;
}
echo implode('', $parts);                             // 512 KiB in one string
for ($i = 0; $i < 8; $i++) {
    echo $chunk;                                      // 512 KiB streamed
}
