<?php
// A multipart POST with a 256 KiB file. Expected: 200 "upload ok" when the file arrived intact,
// 400 otherwise (the soak counts any 400 as a failure).
$f = $_FILES['f'] ?? null;
$expect = str_repeat('0123456789abcdef', 16384);
if ($f === null || $f['error'] !== UPLOAD_ERR_OK || $f['size'] !== strlen($expect)
    || file_get_contents($f['tmp_name']) !== $expect || ($_POST['name'] ?? '') !== 'soak') {
    http_response_code(400);
    echo "upload bad: ", json_encode($f), "\n";
    exit;
}
echo "upload ok ", $f['size'], "\n";
