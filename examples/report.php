<?php
/*
 * examples/report.php - a tour of zmm_stats(): exercises the heap, then prints a text report.
 *
 *   php -d extension=modules/zmm.so examples/report.php
 *   php -d extension=modules/zmm.so -d zmm.segment_size=64K -d zmm.cache_size=0 examples/report.php
 *
 * Every figure is explained in docs/stats.md. The report takes one zmm_stats() snapshot and one
 * zmm_check_heap() result before it formats anything, so its own strings do not show up in them.
 */
declare(strict_types=1);

const BAR = 50;

function human(int|float $bytes): string
{
	if ($bytes < 0) {
		return 'none';
	}
	$units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	$i = 0;
	while ($bytes >= 1024 && $i < count($units) - 1) {
		$bytes /= 1024;
		$i++;
	}
	return $i === 0 ? sprintf('%d B', $bytes) : sprintf('%.2f %s', $bytes, $units[$i]);
}

function pct(int|float $part, int|float $whole): string
{
	return $whole > 0 ? sprintf('%.1f%%', 100.0 * $part / $whole) : 'n/a';
}

function bar(int|float $part, int|float $whole, int $width = BAR, string $on = '#', string $off = '.'): string
{
	$n = $whole > 0 ? (int)round($width * min(1.0, $part / $whole)) : 0;
	if ($part > 0 && $n === 0) {
		$n = 1;                                     /* anything at all gets one mark */
	}
	return str_repeat($on, $n) . str_repeat($off, $width - $n);
}

/* ---- is zmm the active heap? -------------------------------------------------------------- */

if (!extension_loaded('zmm') || !function_exists('zmm_enabled') || !zmm_enabled()) {
	echo "zmm is not the active request heap, so there is nothing to report.\n";
	if (!extension_loaded('zmm')) {
		echo "  The zmm extension is not loaded: run with -d extension=/path/to/zmm.so\n";
		echo "  (build it with: phpize && ./configure --enable-zmm && make).\n";
	} else {
		echo "  zmm is loaded but did not install itself:\n";
		$known = false;
		if (getenv('USE_ZEND_ALLOC') === '0') {
			echo "  - USE_ZEND_ALLOC=0 is set: the engine uses malloc() and zmm stays off (unset it).\n";
			$known = true;
		}
		if (!filter_var(ini_get('zmm.enable'), FILTER_VALIDATE_BOOLEAN)) {
			echo "  - zmm.enable is off: set zmm.enable=1 (php.ini or -d; it cannot change at run time).\n";
			$known = true;
		}
		if (!$known) {
			echo "  - probably another extension installed its own heap handlers first (a profiler, zend_test).\n";
		}
		ob_start();
		phpinfo(INFO_MODULES);                      /* zmm's phpinfo section says why */
		if (preg_match('/^Active => (.*)$/m', (string)ob_get_clean(), $m)) {
			echo "  phpinfo(): Active => {$m[1]}\n";
		}
	}
	exit(0);
}

/* ---- exercise the heap -------------------------------------------------------------------- */

final class Point
{
	public function __construct(public float $x, public float $y, public ?Point $next = null)
	{
	}
}

$segment = zmm_stats(true)['segment_size'];

$points = [];                                   /* many small objects, linked */
for ($i = 0; $i < 20000; $i++) {
	$points[] = new Point($i / 3, $i * 2.5, $points[$i - 1] ?? null);
}
$table = [];                                    /* hash tables of several sizes */
for ($i = 0; $i < 300; $i++) {
	$table["row$i"] = array_fill(0, $i % 64 + 1, "cell $i");
}
$strings = [];                                  /* strings from 1 byte to 64 KiB */
for ($i = 0; $i < 6000; $i++) {
	$len = [1, 8, 24, 40, 100, 200, 500, 520, 600, 1500, 3000, 8000, 20000, 65536][$i % 14];
	$strings[] = str_repeat(chr(97 + $i % 26), $len);
}
$huge = str_repeat('H', $segment * 3 + 12345); /* a block bigger than a segment: its own segment */
$grown = '';
for ($i = 0; $i < 20000; $i++) {               /* realloc growth */
	$grown .= 'grow';
}
$churn = 0;
for ($i = 0; $i < 30000; $i++) {               /* allocate and free the same sizes: cache traffic */
	$t = str_repeat('c', $i % 400);
	$churn += strlen($t);
}
foreach ($strings as $k => $v) {               /* free two strings in three: holes everywhere */
	if ($k % 3 !== 0) {
		unset($strings[$k]);
	}
}
for ($i = 0; $i < count($points); $i += 2) {   /* and every other object's link */
	$points[$i]->next = null;
}
unset($table, $t);

/* ---- snapshot ----------------------------------------------------------------------------- */

$s = zmm_stats();
$check = zmm_check_heap();
$usage = memory_get_usage();

$m = $s['memory'];
$c = $s['counters'];
$seg = $s['segments'];
$frag = $s['fragmentation'];
$lines = [];
$out = static function (string $line = '') use (&$lines): void {
	$lines[] = $line;
};

$out(sprintf('zmm heap report - PHP %s, storage %s, segment size %s, %d request(s) so far',
	PHP_VERSION, $s['storage'], human($s['segment_size']), $c['requests']));
$out(str_repeat('=', 78));
$out('memory (this request\'s heap)');
$out(sprintf('  used       %12s   memory_get_usage(): blocks handed out', human($m['used'])));
$out(sprintf('  real       %12s   memory_get_usage(true): segments held', human($m['real'])));
$out(sprintf('  peak       %12s   real peak %s', human($m['peak']), human($m['real_peak'])));
$out(sprintf('  limit      %12s   %s', $m['limit'] < 0 ? 'none' : human($m['limit']),
	$m['limit'] < 0 ? '(memory_limit=-1)' : 'real used ' . pct($m['real'], $m['limit'])));
$out(sprintf('  cached     %12s   in %d blocks, cap %s (%s full)', human($m['cached']), $s['cache']['blocks'],
	human($s['cache']['limit']), pct($s['cache']['bytes'], $s['cache']['limit'])));

$out();
$out(sprintf('segments: %d now, %d at peak, %s free, largest free block %s      # used  . free',
	$seg['count'], $seg['peak_count'], human($seg['free_bytes']), human($seg['largest_free_block'])));
$shown = 0;
$hidden = ['n' => 0, 'used' => 0, 'free' => 0];
foreach ($seg['list'] as $i => $row) {
	if ($shown >= 12) {
		$hidden['n']++;
		$hidden['used'] += $row['used'];
		$hidden['free'] += $row['free'];
		continue;
	}
	$shown++;
	$out(sprintf('  %2d %9s [%s] %5s used, %d free blocks (largest %s)', $i, human($row['size']),
		bar($row['used'], $row['size']), pct($row['used'], $row['size']), $row['free_blocks'], human($row['largest_free_block'])));
}
if ($hidden['n'] > 0) {
	$out(sprintf('  ... %d more segments: %s used, %s free', $hidden['n'], human($hidden['used']), human($hidden['free'])));
}

$out();
$out('small buckets in use (block = request + 16-byte header, rounded to 8)');
$out(sprintf('  %5s %9s %6s %6s %9s %6s  %s', 'block', 'requests', 'free', 'cached', 'allocs', 'hit%', 'allocs'));
$rows = array_filter($s['buckets'], static fn(array $b): bool => $b['allocs'] > 0 || $b['free_blocks'] > 0 || $b['cached_blocks'] > 0);
$maxAllocs = max(1, ...array_map(static fn(array $b): int => $b['allocs'], $rows ?: [['allocs' => 1]]));
if (count($rows) > 24) {                         /* keep the busiest 24, in size order */
	uasort($rows, static fn(array $a, array $b): int => $b['allocs'] <=> $a['allocs']);
	$rows = array_slice($rows, 0, 24, true);
	ksort($rows);
}
foreach ($rows as $b) {
	$out(sprintf('  %5d %4d-%-4d %6d %6d %9d %6s  %s', $b['block_size'], $b['min_request'], $b['max_request'],
		$b['free_blocks'], $b['cached_blocks'], $b['allocs'], pct($b['cache_hits'], $b['cache_hits'] + $b['cache_misses']),
		rtrim(bar($b['allocs'], $maxAllocs, 30, '*', ' '))));
}
$busy = count(array_filter($s['buckets'], static fn(array $b): bool => $b['allocs'] > 0));
$out(sprintf('  (%d of %d buckets used%s)', $busy, count($s['buckets']), $busy > count($rows) ? ', busiest shown' : ''));

$out();
if ($s['classes'] === []) {
	$out('medium classes: off (zmm.size_classes=0: requests above the small range get exact-size blocks)');
} else {
	$out('medium classes (requests rounded up to the class; freed blocks cached like small ones)');
	$out(sprintf('  %5s %9s %6s %9s %6s  %s', 'block', 'requests', 'cached', 'allocs', 'hit%', 'allocs'));
	$maxAllocs = max(1, ...array_column($s['classes'], 'allocs'));
	foreach ($s['classes'] as $b) {
		$out(sprintf('  %5d %4d-%-4d %6d %9d %6s  %s', $b['block_size'], $b['min_request'], $b['max_request'],
			$b['cached_blocks'], $b['allocs'], pct($b['cache_hits'], $b['cache_hits'] + $b['cache_misses']),
			rtrim(bar($b['allocs'], $maxAllocs, 30, '*', ' '))));
	}
	$out(sprintf('  medium flushes before a new segment: %d', $c['medium_flushes']));
}

$out();
$hits = $c['cache_hits'];
$misses = $c['cache_misses'];
$out(sprintf('cache: hit rate %s (%d hits, %d misses); %d blocks, %s of %s',
	pct($hits, $hits + $misses), $hits, $misses, $s['cache']['blocks'], human($s['cache']['bytes']), human($s['cache']['limit'])));

$out();
$out('large free blocks by size class (power of two; the rest list is separate)');
$any = false;
foreach ($s['large'] as $l) {
	if ($l['free_blocks'] === 0) {
		continue;
	}
	$any = true;
	$out(sprintf('  >= %-10s %5d blocks %12s  %s', human($l['min_size']), $l['free_blocks'], human($l['free_bytes']),
		rtrim(bar($l['free_bytes'], max(1, $seg['free_bytes']), 30, '*', ' '))));
}
if (!$any) {
	$out('  (none)');
}
$out(sprintf('rest list: %d blocks, %s (tails of huge and regrown segments, kept away from small requests)',
	$s['rest']['free_blocks'], human($s['rest']['free_bytes'])));

$out();
$hint = match (true) {
	$frag['free_bytes'] === 0 => 'no free space at all',
	$frag['percentage'] < 25.0 => 'low: the free space is mostly one block',
	$frag['percentage'] < 60.0 => 'moderate: the free space is split into several holes',
	default => sprintf('high: the free space is split over %d segments and %s holes', $seg['count'],
		array_sum(array_column($seg['list'], 'free_blocks'))),
};
$out(sprintf('fragmentation: %.1f%% - %s', $frag['percentage'], $hint));
$out(sprintf('  = (free %s - largest free block %s) / free %s', human($frag['free_bytes']),
	human($frag['largest_free_block']), human($frag['free_bytes'])));
if ($frag['percentage'] >= 60.0) {
	$out('  remedies: zmm_gc() (flushes the cache, releases empty segments), a smaller zmm.segment_size or');
	$out('  zmm.cache_size; see docs/stats.md');
}

$out();
$out('counters (both request heaps, since startup)');
$out(sprintf('  allocs %d, frees %d, reallocs %d, huge allocs %d, foreign frees %d', $c['allocs'], $c['frees'],
	$c['reallocs'], $c['huge_allocs'], $c['foreign_frees']));
$out(sprintf('  segments allocated %d, released %d, limit errors %d, requests %d', $c['segments_allocated'],
	$c['segments_released'], $c['limit_errors'], $c['requests']));

$out();
$errors = is_array($check['errors']) ? $check['errors'] : [];
$out(sprintf('zmm_check_heap(): %s - %d segments, %d blocks walked, %d problem(s)', $check['ok'] ? 'ok' : 'DAMAGED',
	$check['segments'], $check['blocks'], is_array($check['errors']) ? count($errors) : (int)$check['errors']));
foreach (array_slice($errors, 0, 5) as $e) {
	$out("  - $e");
}

$out();
$out(sprintf('(formatting this report allocated another %s; it is not in the figures above)',
	human(max(0, memory_get_usage() - $usage))));
echo implode("\n", $lines), "\n";

/* Free everything the demo made (and the snapshot, whose rows sit in the holes), then give back
 * what can be given back. */
unset($points, $strings, $huge, $grown, $s, $rows, $lines, $seg, $frag, $out);
$before = zmm_stats(true);
$freed = zmm_gc();
$after = zmm_stats(true);
printf("after freeing the demo data: used %s, real %s in %d segments; zmm_gc() gave back %s -> real %s in %d segments\n",
	human($before['memory']['used']), human($before['memory']['real']), $before['segments']['count'], human($freed),
	human($after['memory']['real']), $after['segments']['count']);
