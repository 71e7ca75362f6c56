--TEST--
zmm.fast_shutdown: work after zmm's RSHUTDOWN that allocates and frees a lot (a user session handler's write) does not make the heap grow: the fast shutdown ends before the heap takes a segment
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
        $before = zmm_stats(true);
        for ($i = 0; $i < 300; $i++) {
            $s = str_repeat('w', 100000 + $i % 2);  /* 30 MB in all, 100 KB at a time */
        }
        $after = zmm_stats(true);
        $grew = $after['memory']['real'] - $before['memory']['real'];
        echo "write: ", strlen($data), " bytes of session data\n";
        echo "the fast shutdown was on when write() started: ",
            var_export($before['counters']['shutdown_frees'] > $start['counters']['shutdown_frees'], true), "\n";
        echo "the heap grew by at most one segment: ", var_export($grew <= $after['segment_size'], true), "\n";
        echo "the frees of the loop were done: ", var_export($after['counters']['frees'] - $before['counters']['frees'] >= 290, true), "\n";
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
the heap grew by at most one segment: true
the frees of the loop were done: true
