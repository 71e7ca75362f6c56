<?php
// An uncaught exception thrown from a nested call with live data on the stack. Expected: 500.
function deeper(int $n, array $carry)
{
    $carry[] = str_repeat('e', 100 + $n);
    if ($n === 0) {
        throw new RuntimeException('soak: intended uncaught exception with ' . count($carry) . ' frames');
    }
    return deeper($n - 1, $carry);
}
deeper(40, [new stdClass()]);
