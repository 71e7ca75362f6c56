<?php
// Readiness probe: says whether zmm serves this worker's request memory.
header('Content-Type: text/plain');
echo (function_exists('zmm_enabled') && zmm_enabled()) ? "zmm\n" : "native\n";
