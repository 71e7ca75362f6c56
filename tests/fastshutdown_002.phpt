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
class WriteHeavyHandler implements SessionHandlerInterface
{
    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }
    public function read(string $id): string|false { return ''; }
    public function write(string $id, string $data): bool
    {
        /* runs in the session module's RSHUTDOWN, after zmm's: the fast shutdown is on */
        $start = zmm_stats(true);
        $t = str_repeat('t', 100 + strlen($id));    /* not a constant (opcache folds those) */
        unset($t);                                  /* a free left to the reset */
        $hold = [];
        for ($i = 0; $i < 4000; $i++) {
            $hold[] = str_repeat('h', 1000 + $i % 2);  /* 4 MB kept: the heap must grow */
        }
        $before = zmm_stats(true);
        for ($i = 0; $i < 200000; $i++) {
            $s = str_repeat('w', 100 + $i % 2);     /* 24 MB of small strings, freed as it goes */
        }
        $after = zmm_stats(true);
        echo "write: ", strlen($data), " bytes of session data\n";
        echo "the fast shutdown was on when write() started: ",
            var_export($before['counters']['shutdown_frees'] > $start['counters']['shutdown_frees'], true), "\n";
        echo "growing ended it: the frees of the loop were done: ",
            var_export($after['counters']['frees'] - $before['counters']['frees'] >= 190000, true), "\n";
        echo "the loop did not make the heap grow: ",
            var_export($after['memory']['real'] - $before['memory']['real'] <= $after['segment_size'], true), "\n";
        echo "no memory-limit error was counted: ",
            var_export($after['counters']['limit_errors'] === $start['counters']['limit_errors'], true), "\n";
        return true;
    }
    public function destroy(string $id): bool { return true; }
    public function gc(int $max): int|false { return 0; }
}
session_set_save_handler(new WriteHeavyHandler, false);   /* no shutdown function: write in RSHUTDOWN */
session_id('zmmshutdown002');
session_start();
$_SESSION['payload'] = str_repeat('p', 1000);
echo "script done\n";
?>
--EXPECT--
script done
write: 1018 bytes of session data
the fast shutdown was on when write() started: true
growing ended it: the frees of the loop were done: true
the loop did not make the heap grow: true
no memory-limit error was counted: true
