--TEST--
zmm.fast_shutdown: when work after zmm's RSHUTDOWN (a user session handler's write) needs a new segment, the fast shutdown ends first, so the 24 MB of small strings it then churns do not make the heap grow
--EXTENSIONS--
zmm
session
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=16M
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
