--TEST--
zmm.fast_shutdown without a memory_limit (-1): when work after zmm's RSHUTDOWN needs a new segment, the fast shutdown ends and the segment is taken, with no memory-limit error
--EXTENSIONS--
zmm
session
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=-1
session.use_cookies=0
session.use_only_cookies=0
session.cache_limiter=
--FILE--
<?php
require __DIR__ . '/fastshutdown.inc';
echo "script done\n";
?>
--EXPECT--
script done
write: 1018 bytes of session data
the fast shutdown was on when write() started: true
growing ended it: the frees of the loop were done: true
the loop did not make the heap grow: true
no memory-limit error was counted: true
