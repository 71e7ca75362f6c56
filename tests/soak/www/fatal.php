<?php
// A real fatal error (bailout) in the middle of work. Expected: 500.
$keep = [];
for ($i = 0; $i < 200; $i++) {
    $keep[] = new ArrayObject(range(0, $i % 30));
    $keep[] = str_repeat('f', $i * 3);
}
trigger_error('soak: intended E_USER_ERROR', E_USER_ERROR);
echo "not reached\n";
