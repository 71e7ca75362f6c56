<?php
// A light request that keeps the worker busy for 50 ms, so that concurrent requests reach every
// worker: after a phase each worker serves one of these before its memory is sampled (zmm reclaims
// the previous request's epoch at the next request start, so an idle worker would still hold the
// garbage of whatever page it served last).
usleep(50000);
header('Content-Type: text/plain');
echo getmypid(), "\n";
