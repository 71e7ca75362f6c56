--TEST--
zmm.fast_shutdown: a request that ends at its memory_limit still finishes shutdown work that fits when the frees are done (the dropped blocks count as room)
--EXTENSIONS--
zmm
session
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
memory_limit=4M
session.use_cookies=0
session.use_only_cookies=0
session.cache_limiter=
--FILE--
<?php
class NearLimitHandler implements SessionHandlerInterface
{
    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { return true; }
    public function read(string $id): string|false { return ''; }
    public function write(string $id, string $data): bool
    {
        /* runs after zmm's RSHUTDOWN: every free below is dropped until the heap needs a segment */
        $hold = [];
        $s = zmm_stats();                            /* its temporaries are dropped frees too */
        foreach ($s['segments']['list'] as $row) {
            for ($n = intdiv($row['largest_free_block'], 20100); $n > 0; $n--) {
                $hold[] = str_repeat('h', 20000 + $n % 2); /* take the free room there is */
            }
        }
        for ($i = 0; $i < 50; $i++) {
            $x = str_repeat('w', 10000 + $i % 2);
        }
        $after = zmm_stats(true);
        echo "write done: ", strlen($data), " bytes, within the limit: ",
            var_export($after['memory']['real'] <= 4 * 1024 * 1024 + 2 * $after['segment_size'], true),
            ", the fast shutdown dropped frees: ", var_export($after['counters']['shutdown_frees'] > 0, true), "\n";
        return true;
    }
    public function destroy(string $id): bool { return true; }
    public function gc(int $max): int|false { return 0; }
}
session_set_save_handler(new NearLimitHandler, false);
session_id('zmmfastshutdown003');
session_start();
$_SESSION['a'] = 1;
$keep = [];
while (memory_get_usage(true) < 4 * 1024 * 1024) {
    $keep[] = str_repeat('k', 1000 + count($keep) % 2);
}
for ($i = 0; $i < 100; $i++) {
    array_pop($keep);
}
echo "script done at the limit: ", var_export(memory_get_usage(true) === 4 * 1024 * 1024, true), "\n";
?>
--EXPECT--
script done at the limit: true
write done: 6 bytes, within the limit: true, the fast shutdown dropped frees: true
