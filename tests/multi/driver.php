<?php
/*
 * tests/multi/driver.php - multi-request memory flatness test for zmm (run it through tests/multi/run).
 *
 * Drives tests/multi/page.php through two long-lived SAPIs, natively and with zmm loaded:
 *   cgi     php-cgi -T N page.php    (one process, the same script N times; the page samples itself)
 *   server  php -S 127.0.0.1:PORT page.php, driven over HTTP by this script (127.0.0.1 only; the
 *           server is stopped with SIGINT at the end and must exit 0, SIGKILL after 10s; RSS read
 *           from /proc/<server pid>/status, zmm figures from the page's /stats endpoint)
 * Every request ends in one of seven ways (see page.php). The process is sampled before every
 * request; each sample is labelled with the position of the previous request in the page's period
 * of 42 requests (its "phase", see phase_of()), and only samples of the same phase are compared: a
 * process that keeps the previous request's memory (zmm's alternate heap, ZendMM's cached chunks)
 * until a later request is compared with itself, not with a sample taken after a lighter request.
 * php-cgi runs go on in the background (--jobs, default 2) while php -S runs are driven.
 *
 * Checks per run (one line each):
 *   process    no signal, no "heap corrupted", every request printed its end marker, php-cgi exits
 *              with 0 or 255 (the status of its last request), php -S exits 0 on SIGINT
 *   modes      each ending really happened (error type, message and stage of every marker)
 *   checksum   the work results match the native reference run
 *   rss        after warm-up (the first 20% of requests, at least 3 periods = 126 requests, because
 *              glibc malloc and ZendMM's chunk cache settle only after a few periods), per phase:
 *              max - base <= allowed and max - min <= allowed, base = first sample after warm-up,
 *              allowed = max(5% of base, 256 KiB) (page granularity and allocator caches make the
 *              ratio alone noisy on a ~20 MiB process)
 *   usage      memory_get_usage() at request start, same rule with a 64 KiB floor
 * zmm runs also:
 *   active     zmm_enabled() and the requested storage on every sample
 *   segments   zmm_stats()['segments']['count'] and the live segments of both heaps
 *              (counters.segments_allocated - counters.segments_released), per phase:
 *              max - base <= floor(5% of base) and max - min <= the same (exactly flat below 20)
 *   check      zmm_check_heap()['ok'] on every sample
 *   requests   counters.requests grows by exactly one per request
 * and, once per zmm storage (needs strace):
 *   kept segments  php-cgi -T 1 and -T 11 of bench/workloads/small.php make the same number of mmap calls
 * Output ends with "multi: N passed, N failed"; exit status 1 if anything failed.
 */
declare(strict_types=1);

const PERIOD = 42;                                       /* requests before the page repeats itself exactly */
const MODES = ['normal', 'fatal', 'memory_limit', 'exit_destructor', 'exception', 'compile_error', 'include_eval'];
const EXPECT = [
	'normal'          => ['stage' => ['done'], 'type' => [0], 'msg' => '/^$/', 'sum' => true],
	'fatal'           => ['stage' => ['before-fatal'], 'type' => [E_USER_ERROR], 'msg' => '/^zmm-multi fatal E_USER_ERROR$/', 'sum' => true],
	'memory_limit'    => ['stage' => ['before-oom'], 'type' => [E_ERROR], 'msg' => '/^Allowed memory size of 16777216 bytes exhausted \(tried to allocate \d+ bytes\)$/', 'sum' => false],
	'exit_destructor' => ['stage' => ['dtor-exit'], 'type' => [0], 'msg' => '/^$/', 'sum' => true],
	'exception'       => ['stage' => ['before-throw'], 'type' => [E_ERROR], 'msg' => '/^Uncaught RuntimeException: zmm-multi uncaught exception/', 'sum' => true],
	'compile_error'   => ['stage' => ['before-include'], 'type' => [E_PARSE, E_COMPILE_ERROR], 'msg' => '/^(syntax error|Cannot redeclare zmm_multi_declared_once)/', 'sum' => true],
	'include_eval'    => ['stage' => ['done'], 'type' => [0], 'msg' => '/^$/', 'sum' => true],
];
const BAD_OUTPUT = '/zend_mm_heap corrupted|Segmentation fault|double free|free\(\): |malloc\(\): |Assertion .* failed|AddressSanitizer|zmm: |zmm_heap|Out of memory|Hard memory limit/i';

$passed = 0;
$failed = 0;

function out(string $line): void
{
	echo $line, "\n";
	@ob_flush();
	flush();
}

/* Progress goes to stderr, so stdout holds only the check lines and the summary. */
function progress(string $line): void
{
	fwrite(STDERR, "  .. $line\n");
}

function check(bool $ok, string $name, string $what): bool
{
	global $passed, $failed;
	$ok ? $passed++ : $failed++;
	out(sprintf('%s %-28s %s', $ok ? 'PASS' : 'FAIL', $name, $what));
	return $ok;
}

function usage_exit(int $rc): never
{
	fwrite($rc ? STDERR : STDOUT, <<<TXT
usage: tests/multi/run [--short] [--ext PATH] [options]
  --short             fewer requests (CI; about 1-2 minutes)
  --ext PATH          zmm.so to test (default: modules/zmm.so in the repository)
  --requests N        requests per run (default: 420 short, 2000 full; at least 210)
  --only cgi|server   run one SAPI only
  --storages LIST     comma-separated zmm.storage values for the cgi runs (default malloc,mmap_anon,mmap_zero)
  --php BIN           CLI binary for php -S (default: php)
  --php-cgi BIN       CGI binary (default: php-cgi)
  --jobs N            php-cgi runs in parallel (default 2; a php -S run takes one slot)
  --keep              keep the work directory (stdout, stderr, samples of every run)
  --verbose           print every sample series
  --native-only       only the native reference runs (checks the harness; needs no zmm.so)

TXT);
	exit($rc);
}

/* ---- options ----------------------------------------------------------------------------- */

$root = dirname(__DIR__, 2);
$cfg = [
	'short' => false, 'ext' => "$root/modules/zmm.so", 'requests' => 0, 'only' => '',
	'storages' => ['malloc', 'mmap_anon', 'mmap_zero'], 'php' => 'php', 'cgi' => 'php-cgi',
	'keep' => false, 'verbose' => false, 'native_only' => false, 'jobs' => 2, 'page' => __DIR__ . '/page.php',
];
$args = array_slice($argv, 1);
for ($i = 0; $i < count($args); $i++) {
	$a = $args[$i];
	$val = null;
	if (preg_match('/^(--[a-z-]+)=(.*)$/s', $a, $m)) {
		[$a, $val] = [$m[1], $m[2]];
	}
	$need = static function () use (&$i, $args, $val, $a): string {
		if ($val !== null) {
			return $val;
		}
		if (!isset($args[$i + 1])) {
			fwrite(STDERR, "$a needs a value\n");
			usage_exit(2);
		}
		return $args[++$i];
	};
	switch ($a) {
		case '--short': $cfg['short'] = true; break;
		case '--ext': $cfg['ext'] = $need(); break;
		case '--requests': $cfg['requests'] = max(5 * PERIOD, (int)$need()); break;
		case '--only': $cfg['only'] = $need(); break;
		case '--storages': $cfg['storages'] = array_values(array_filter(explode(',', $need()))); break;
		case '--php': $cfg['php'] = $need(); break;
		case '--php-cgi': $cfg['cgi'] = $need(); break;
		case '--keep': $cfg['keep'] = true; break;
		case '--jobs': $cfg['jobs'] = max(1, (int)$need()); break;
		case '--verbose': $cfg['verbose'] = true; break;
		case '--native-only': $cfg['native_only'] = true; break;
		case '-h': case '--help': usage_exit(0);
		default: fwrite(STDERR, "unknown option $a\n"); usage_exit(2);
	}
}
if (!in_array($cfg['only'], ['', 'cgi', 'server'], true)) {
	fwrite(STDERR, "--only takes cgi or server\n");
	usage_exit(2);
}
if ($cfg['ext'] !== '' && $cfg['ext'][0] !== '/') {
	$cfg['ext'] = getcwd() . '/' . $cfg['ext'];
}
$N = $cfg['requests'] ?: ($cfg['short'] ? 420 : 2000);
$every = 1;                                              /* sample before every request: N/42 samples per phase */
$cfg['warm'] = max((int)ceil($N * 0.2), 3 * PERIOD);     /* warm-up: 20%, at least 3 periods of the page */
$cfg['time_limit'] = $cfg['short'] ? 300 : 1800;         /* per run, seconds (generous: shared CI machines) */
$cfg['http_timeout'] = 120;                              /* per HTTP request, seconds */

/* ---- helpers ----------------------------------------------------------------------------- */

function find_bin(string $bin): ?string
{
	if (str_contains($bin, '/')) {
		return is_executable($bin) ? $bin : null;
	}
	foreach (explode(':', getenv('PATH') ?: '/usr/bin:/bin') as $d) {
		if ($d !== '' && is_executable("$d/$bin")) {
			return "$d/$bin";
		}
	}
	return null;
}

/* Runs a command without a shell; returns [rc, stdout, stderr]. */
function run_cmd(array $cmd, int $timeout = 30): array
{
	$p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
	if (!is_resource($p)) {
		return [-1, '', 'proc_open failed'];
	}
	stream_set_blocking($pipes[1], false);
	stream_set_blocking($pipes[2], false);
	$o = $e = '';
	$deadline = microtime(true) + $timeout;
	$rc = -1;
	while (true) {
		$o .= stream_get_contents($pipes[1]);
		$e .= stream_get_contents($pipes[2]);
		$st = proc_get_status($p);
		if (!$st['running']) {
			$rc = $st['signaled'] ? 128 + $st['termsig'] : $st['exitcode'];
			break;
		}
		if (microtime(true) > $deadline) {
			proc_terminate($p, 9);
			$e .= "\n[timeout]";
			break;
		}
		usleep(20000);
	}
	$o .= stream_get_contents($pipes[1]);
	$e .= stream_get_contents($pipes[2]);
	fclose($pipes[1]);
	fclose($pipes[2]);
	proc_close($p);
	return [$rc, $o, $e];
}

function base_ini(bool $opcache): array
{
	$a = ['-n', '-d', 'memory_limit=128M', '-d', 'display_errors=1', '-d', 'html_errors=0', '-d', 'log_errors=0',
		'-d', 'error_reporting=-1', '-d', 'output_buffering=0', '-d', 'max_execution_time=60'];
	if ($opcache) {
		$a = array_merge($a, ['-d', 'zend_extension=opcache.so', '-d', 'opcache.enable=1', '-d', 'opcache.enable_cli=1']);
	}
	return $a;
}

function run_ini(array $run, array $cfg): array
{
	$a = base_ini($run['opcache']);
	if ($run['zmm']) {
		$a = array_merge($a, ['-d', $cfg['load'] . '=' . $cfg['ext'], '-d', 'zmm.enable=1']);
		if ($run['storage'] !== 'default') {
			$a = array_merge($a, ['-d', 'zmm.storage=' . $run['storage']]);
		}
	}
	return $a;
}

function proc_kib(int $pid): int
{
	$s = @file_get_contents("/proc/$pid/status");
	return ($s !== false && preg_match('/^VmRSS:\s+(\d+) kB/m', $s, $m)) ? (int)$m[1] : -1;
}

function parse_markers(string $out): array
{
	preg_match_all('/@@end n=(\d+) mode=(\S+) stage=(\S+) type=(\d+) sum=(\S*) msg=(.*?)@@/', $out, $mm, PREG_SET_ORDER);
	$r = [];
	foreach ($mm as $m) {
		$r[(int)$m[1]] = ['mode' => $m[2], 'stage' => $m[3], 'type' => (int)$m[4], 'sum' => $m[5], 'msg' => $m[6]];
	}
	return $r;
}

function free_port(): int
{
	$s = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
	if ($s === false) {
		return 0;
	}
	$name = stream_socket_get_name($s, false);
	fclose($s);
	return (int)substr($name, strrpos($name, ':') + 1);
}

function http_get(int $port, string $path, float $timeout = 30.0): array
{
	$ctx = stream_context_create(['http' => ['timeout' => $timeout, 'ignore_errors' => true,
		'header' => "Connection: close\r\n", 'follow_location' => 0]]);
	$http_response_header = [];
	$body = @file_get_contents("http://127.0.0.1:$port$path", false, $ctx);
	$status = 0;
	if (isset($http_response_header[0]) && preg_match('#^HTTP/\S+ (\d+)#', $http_response_header[0], $m)) {
		$status = (int)$m[1];
	}
	return [$status, $body === false ? null : $body];
}

/* The phase of a sample taken right after request n: the position of request n in the page's
 * full period of 42 requests (7 modes x 6 cycles, the memory_limit variants rotate every 3 cycles
 * and the compile_error variants every 2). Natively, ZendMM gives cached chunks back over several
 * requests after a memory_limit request, so only samples at the same position compare. */
function phase_of(int $n): string
{
	if ($n < 0) {
		return 'first';
	}
	return MODES[$n % count(MODES)] . '@' . (intdiv($n % PERIOD, count(MODES)));
}

/* ---- one run ----------------------------------------------------------------------------- */

/* Starts php-cgi -T N in the background; cgi_poll() finishes it. */
function cgi_start(array $run, array $cfg, int $N, int $every): array
{
	$wd = $run['dir'];
	$env = ['PATH' => getenv('PATH') ?: '/usr/bin:/bin', 'ZMM_MULTI_DIR' => $wd, 'ZMM_MULTI_SAMPLE_EVERY' => (string)$every];
	$cmd = array_merge([$cfg['cgi']], run_ini($run, $cfg), ['-q', '-T', (string)$N, $cfg['page']]);
	file_put_contents("$wd/cmd", implode(' ', array_map('escapeshellarg', $cmd)) . "\n");
	$job = ['run' => $run, 't0' => microtime(true), 'proc' => null,
		'res' => ['rc' => -1, 'signal' => 0, 'timeout' => false, 'alive_at_end' => true, 'markers' => [], 'samples' => [],
			'requests_done' => 0, 'bad_output' => null]];
	$p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$wd/stdout", 'w'], 2 => ['file', "$wd/stderr", 'w']],
		$pipes, dirname($cfg['page']), $env);
	if (!is_resource($p)) {
		$job['res']['error'] = 'proc_open failed';
		return $job;
	}
	$job['proc'] = $p;
	return $job;
}

/* Returns true once the job has ended (or was killed at the time limit) and its result is ready. */
function cgi_poll(array &$job, array $cfg): bool
{
	if ($job['proc'] === null) {
		return true;
	}
	$res = &$job['res'];
	$st = proc_get_status($job['proc']);
	if ($st['running']) {
		if (microtime(true) - $job['t0'] <= $cfg['time_limit']) {
			return false;
		}
		proc_terminate($job['proc'], 9);
		$res['timeout'] = true;
		usleep(100000);
	} else {
		$res['rc'] = $st['exitcode'];
		$res['signal'] = $st['signaled'] ? $st['termsig'] : 0;
	}
	proc_close($job['proc']);
	$job['proc'] = null;
	$res['seconds'] = microtime(true) - $job['t0'];
	$wd = $job['run']['dir'];
	$stdout = (string)@file_get_contents("$wd/stdout");
	$res['markers'] = parse_markers($stdout);
	$res['bad_output'] = preg_match(BAD_OUTPUT, $stdout . (string)@file_get_contents("$wd/stderr"), $m) ? $m[0] : null;
	foreach (@file("$wd/samples.jsonl", FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
		$s = json_decode($line, true);
		if (is_array($s)) {
			$s['phase'] = phase_of($s['n'] - 1);
			$s['stats_calls_before'] = 0;
			$res['samples'][] = $s;
		}
	}
	$res['requests_done'] = count($res['markers']);
	return true;
}

/* Background php-cgi runs, at most $cfg['jobs'] at a time (one slot less while a php -S run is
 * being driven). tick() is called between HTTP requests and while waiting. */
final class CgiPool
{
	private array $queue = [];
	private array $running = [];
	public array $done = [];
	public int $foreground = 0;

	public function __construct(private array $cfg, private int $N, private int $every)
	{
	}

	public function add(array $run): void
	{
		$this->queue[] = $run;
	}

	public function tick(): void
	{
		foreach ($this->running as $k => &$job) {
			if (cgi_poll($job, $this->cfg)) {
				$this->done[$job['run']['name']] = $job['res'];
				progress(sprintf('%s: %d requests in %.1fs', $job['run']['name'], $job['res']['requests_done'], $job['res']['seconds']));
				unset($this->running[$k]);
			}
		}
		unset($job);
		while ($this->queue && count($this->running) + $this->foreground < max(1, $this->cfg['jobs'])) {
			$this->running[] = cgi_start(array_shift($this->queue), $this->cfg, $this->N, $this->every);
		}
	}

	public function busy(): bool
	{
		return $this->queue || $this->running;
	}
}

function run_server(array $run, array $cfg, int $N, int $every, CgiPool $pool): array
{
	$wd = $run['dir'];
	$res = ['rc' => -1, 'signal' => 0, 'timeout' => false, 'alive_at_end' => false, 'markers' => [], 'samples' => [],
		'http' => [], 'requests_done' => 0];
	$port = free_port();
	if ($port === 0) {
		$res['error'] = 'no free port';
		return $res;
	}
	$env = ['PATH' => getenv('PATH') ?: '/usr/bin:/bin', 'ZMM_MULTI_DIR' => $wd];
	$cmd = array_merge([$cfg['php']], run_ini($run, $cfg), ['-S', "127.0.0.1:$port", $cfg['page']]);
	file_put_contents("$wd/cmd", implode(' ', array_map('escapeshellarg', $cmd)) . "\n");
	$t0 = microtime(true);
	$p = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "$wd/stdout", 'w'], 2 => ['file', "$wd/stderr", 'w']],
		$pipes, dirname($cfg['page']), $env);
	if (!is_resource($p)) {
		$res['error'] = 'proc_open failed';
		return $res;
	}
	$pid = proc_get_status($p)['pid'];
	$ready = false;
	$deadline = microtime(true) + 60;                    /* a loaded machine can be slow to start PHP */
	while (!$ready && microtime(true) < $deadline) {
		$c = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.5);
		if ($c) {
			fclose($c);
			$ready = true;
		} elseif (!proc_get_status($p)['running']) {
			break;
		} else {
			usleep(100000);
		}
	}
	if (!$ready) {
		$st = proc_get_status($p);
		$res['error'] = sprintf('server did not start within 60s (%s): %s', $st['running'] ? 'still running'
			: ($st['signaled'] ? 'killed by signal ' . $st['termsig'] : 'exit ' . $st['exitcode']),
			trim(substr((string)@file_get_contents("$wd/stderr"), -300)));
	}
	$stats_calls = 0;
	$bodies = '';
	for ($n = 0; $ready && $n < $N; $n++) {
		if (microtime(true) - $t0 > $cfg['time_limit']) {
			$res['timeout'] = true;
			break;
		}
		$pool->tick();
		$mode = MODES[$n % count(MODES)];
		[$status, $body] = http_get($port, "/?n=$n&mode=$mode", $cfg['http_timeout']);
		$res['http'][$status] = ($res['http'][$status] ?? 0) + 1;
		if ($body === null) {
			$st = proc_get_status($p);
			$res['error'] = sprintf('request %d (%s): no response within %ds; server %s', $n, $mode, $cfg['http_timeout'],
				$st['running'] ? 'still running' : ($st['signaled'] ? 'killed by signal ' . $st['termsig'] : 'exited ' . $st['exitcode']));
			break;
		}
		foreach (parse_markers($body) as $k => $m) {
			$res['markers'][$k] = $m + ['status' => $status];
		}
		if (preg_match(BAD_OUTPUT, $body, $bm)) {
			$bodies .= $bm[0] . "\n";
		}
		if (intdiv($n, count(MODES)) % $every === 0 && $n + 1 < $N) {
			$before = $stats_calls;
			[$status, $body] = http_get($port, '/stats?n=' . ($n + 1), $cfg['http_timeout']);
			$stats_calls++;
			$s = $body === null ? null : json_decode($body, true);
			if (!is_array($s)) {
				$res['error'] = 'bad /stats response after request ' . $n . ': ' . substr((string)$body, 0, 200);
				break;
			}
			$s['inner_rss_kib'] = $s['rss_kib'];
			$s['rss_kib'] = proc_kib($pid);      /* outside view of the server process */
			$s['phase'] = phase_of($n);
			$s['stats_calls_before'] = $before;
			$res['samples'][] = $s;
		}
	}
	$st = proc_get_status($p);
	$res['alive_at_end'] = $st['running'];
	$res['shutdown'] = null;
	if (!$st['running']) {
		$res['rc'] = $st['exitcode'];
		$res['signal'] = $st['signaled'] ? $st['termsig'] : 0;
	} else {
		/* SIGINT: the CLI server shuts down cleanly (RSHUTDOWN, MSHUTDOWN, zmm's uninstall), so a
		 * crash at module shutdown shows as a signal or a non-zero exit status here. */
		proc_terminate($p, 2);
		for ($i = 0; $i < 100 && ($st = proc_get_status($p))['running']; $i++) {
			usleep(100000);
		}
		if ($st['running']) {
			proc_terminate($p, 9);
			$res['shutdown'] = 'did not exit within 10s of SIGINT (killed)';
		} elseif ($st['signaled']) {
			$res['shutdown'] = 'killed by signal ' . $st['termsig'] . ' during shutdown';
		} elseif ($st['exitcode'] !== 0) {
			$res['shutdown'] = 'exit status ' . $st['exitcode'] . ' after SIGINT';
		}
		$res['rc'] = $st['running'] ? -1 : $st['exitcode'];
	}
	proc_close($p);
	$res['seconds'] = microtime(true) - $t0;
	$res['requests_done'] = count($res['markers']);
	$res['bad_output'] = preg_match(BAD_OUTPUT, $bodies . (string)@file_get_contents("$wd/stderr") . (string)@file_get_contents("$wd/stdout"), $m)
		? $m[0] : null;
	return $res;
}

/* ---- analysis ---------------------------------------------------------------------------- */

/* Per phase series of one figure after warm-up. $get returns the value or null. Returns the worst
 * phase by (growth or spread) / allowed, plus overall numbers. */
function flatness(array $samples, int $warm, callable $get, callable $allowed): array
{
	$phases = [];
	foreach ($samples as $s) {
		if ($s['n'] < $warm) {
			continue;
		}
		$v = $get($s);
		if ($v === null) {
			continue;
		}
		$phases[$s['phase']][] = $v;
	}
	$worst = null;
	$all = [];
	foreach ($phases as $phase => $vals) {
		$all = array_merge($all, $vals);
		if (count($vals) < 2) {
			continue;
		}
		$base = $vals[0];
		$max = max($vals);
		$min = min($vals);
		$allow = $allowed($base);
		$score = max($max - $base, $max - $min) / max($allow, 1e-9);
		$r = ['phase' => $phase, 'base' => $base, 'max' => $max, 'min' => $min, 'end' => end($vals),
			'growth' => $max - $base, 'spread' => $max - $min, 'allowed' => $allow, 'score' => $score, 'count' => count($vals)];
		if ($worst === null || $score > $worst['score']) {
			$worst = $r;
		}
	}
	return ['worst' => $worst, 'min' => $all ? min($all) : null, 'max' => $all ? max($all) : null,
		'phases' => count($phases), 'values' => $phases];
}

function fmt_flat(array $f, string $unit): string
{
	$w = $f['worst'];
	if ($w === null) {
		return 'no samples after warm-up';
	}
	$pct = $w['base'] ? 100.0 * $w['growth'] / $w['base'] : 0.0;
	return sprintf('worst phase after %s: base %s, max %s (%+d, %+.1f%%), spread %s, allowed %s %s; all phases %s..%s',
		$w['phase'], $w['base'], $w['max'], $w['growth'], $pct, $w['spread'], (int)$w['allowed'], $unit, $f['min'], $f['max']);
}

function analyze(array $run, array $res, int $N, array &$reference, array $cfg): array
{
	$name = $run['name'];
	$warm = $cfg['warm'];
	$summary = ['name' => $name, 'rss' => null, 'segments' => null];

	/* process */
	$why = [];
	if (isset($res['error'])) {
		$why[] = $res['error'];
	}
	if ($res['timeout']) {
		$why[] = 'time limit hit';
	}
	if ($res['signal']) {
		$why[] = 'killed by signal ' . $res['signal'];
	}
	if ($run['sapi'] === 'server' && !$res['alive_at_end']) {
		$why[] = "server died (rc {$res['rc']})";
	}
	if (!empty($res['shutdown'])) {
		$why[] = 'unclean shutdown: ' . $res['shutdown'];
	}
	if ($run['sapi'] === 'cgi' && !in_array($res['rc'], [0, 255], true)) {
		$why[] = "exit status {$res['rc']}";
	}
	if ($res['bad_output'] !== null) {
		$why[] = "output contains \"{$res['bad_output']}\"";
	}
	if ($res['requests_done'] !== $N) {
		$why[] = "{$res['requests_done']}/$N end markers";
	}
	check(!$why, "$name process", sprintf('%d requests in %.1fs, exit %d%s%s', $N, $res['seconds'] ?? 0, $res['rc'],
		$run['sapi'] === 'server' ? ', HTTP ' . json_encode($res['http'] ?? []) : '', $why ? ': ' . implode('; ', $why) : ''));

	/* modes */
	$counts = [];
	$bad = [];
	for ($n = 0; $n < $N; $n++) {
		$mode = MODES[$n % count(MODES)];
		$counts[$mode][1] = ($counts[$mode][1] ?? 0) + 1;
		$m = $res['markers'][$n] ?? null;
		$e = EXPECT[$mode];
		$ok = $m !== null && $m['mode'] === $mode && in_array($m['stage'], $e['stage'], true)
			&& in_array($m['type'], $e['type'], true) && preg_match($e['msg'], $m['msg']);
		if ($ok) {
			$counts[$mode][0] = ($counts[$mode][0] ?? 0) + 1;
		} elseif (count($bad) < 3) {
			$bad[] = "#$n $mode: " . ($m === null ? 'no marker' : json_encode($m));
		}
	}
	$parts = [];
	$all = true;
	foreach (MODES as $mode) {
		$c = $counts[$mode] ?? [0, 0];
		$parts[] = sprintf('%s %d/%d', $mode, $c[0] ?? 0, $c[1]);
		$all = $all && ($c[0] ?? 0) === $c[1];
	}
	check($all, "$name modes", implode(', ', $parts) . ($bad ? ' | ' . implode(' | ', $bad) : ''));

	/* checksum */
	$sums = [];
	foreach ($res['markers'] as $m) {
		if (EXPECT[$m['mode']]['sum'] ?? false) {
			$sums[$m['mode'] === 'include_eval' ? 'include_eval' : 'work'][$m['sum']] = true;
		}
	}
	$why = [];
	foreach (['work', 'include_eval'] as $k) {
		$got = array_keys($sums[$k] ?? []);
		if (count($got) !== 1) {
			$why[] = "$k: " . count($got) . ' distinct results';
		} elseif (isset($reference['sum'][$k]) && $reference['sum'][$k] !== $got[0]) {
			$why[] = "$k: {$got[0]} != native {$reference['sum'][$k]}";
		} elseif (!isset($reference['sum'][$k])) {
			$reference['sum'][$k] = $got[0];
		}
	}
	check(!$why, "$name checksum", $why ? implode('; ', $why) : 'work ' . ($reference['sum']['work'] ?? '?')
		. ', include+eval ' . ($reference['sum']['include_eval'] ?? '?') . ' (same as native)');

	$samples = $res['samples'];
	if ($cfg['verbose']) {
		foreach ($samples as $s) {
			out(sprintf('  sample n=%d phase=%s rss=%d usage=%d real=%d segs=%s live=%s', $s['n'], $s['phase'], $s['rss_kib'],
				$s['usage'], $s['real'], $s['zmm']['segments'] ?? '-',
				isset($s['zmm']['segments_allocated']) ? $s['zmm']['segments_allocated'] - $s['zmm']['segments_released'] : '-'));
		}
	}

	/* rss */
	$rss = flatness($samples, $warm, static fn(array $s) => $s['rss_kib'] > 0 ? $s['rss_kib'] : null,
		static fn($base) => max(0.05 * $base, 256));
	$summary['rss'] = $rss;
	check($rss['worst'] !== null && $rss['worst']['score'] <= 1.0, "$name rss flat", fmt_flat($rss, 'KiB'));

	/* memory_get_usage() at request start */
	$use = flatness($samples, $warm, static fn(array $s) => $s['usage'], static fn($base) => max(0.05 * $base, 65536));
	$summary['usage'] = $use;
	check($use['worst'] !== null && $use['worst']['score'] <= 1.0, "$name usage flat", fmt_flat($use, 'B'));

	if (!$run['zmm']) {
		return $summary;
	}

	/* zmm active with the requested storage */
	$off = 0;
	$storages = [];
	foreach ($samples as $s) {
		if (empty($s['zmm']['enabled']) || isset($s['zmm']['stats_error'])) {
			$off++;
		} else {
			$storages[$s['zmm']['storage']] = true;
		}
	}
	$want = $run['storage'];
	$st = array_keys($storages);
	check($samples && $off === 0 && ($want === 'default' ? count($st) === 1 : $st === [$want]), "$name active",
		sprintf('zmm_enabled() on %d/%d samples, storage %s%s', count($samples) - $off, count($samples),
			$st ? implode(',', $st) : '-', $want === 'default' ? ' (default)' : " (wanted $want)"));

	/* segments */
	$segs = flatness($samples, $warm, static fn(array $s) => $s['zmm']['segments'] ?? null,
		static fn($base) => floor(0.05 * $base));
	$live = flatness($samples, $warm, static fn(array $s) => isset($s['zmm']['segments_allocated'])
		? $s['zmm']['segments_allocated'] - $s['zmm']['segments_released'] : null, static fn($base) => floor(0.05 * $base));
	$summary['segments'] = $segs;
	$summary['live'] = $live;
	check($segs['worst'] !== null && $segs['worst']['score'] <= 1.0, "$name segments flat", fmt_flat($segs, 'segments'));
	check($live['worst'] !== null && $live['worst']['score'] <= 1.0, "$name live segments flat",
		'allocated - released: ' . fmt_flat($live, 'segments'));

	/* zmm_check_heap() */
	$bad = array_filter($samples, static fn(array $s) => empty($s['zmm']['check_ok']));
	$first = $bad ? reset($bad) : null;
	check($samples && !$bad, "$name check_heap", sprintf('ok on %d/%d samples%s', count($samples) - count($bad), count($samples),
		$first ? sprintf(' (first failure before request %d: %d errors)', $first['n'], $first['zmm']['check_errors'] ?? -1) : ''));

	/* counters.requests */
	$why = [];
	for ($i = 1; $i < count($samples); $i++) {
		$a = $samples[$i - 1];
		$b = $samples[$i];
		if (!isset($a['zmm']['requests'], $b['zmm']['requests'])) {
			continue;
		}
		$expect = ($b['n'] - $a['n']) + ($b['stats_calls_before'] - $a['stats_calls_before']);
		$got = $b['zmm']['requests'] - $a['zmm']['requests'];
		if ($got !== $expect && count($why) < 2) {
			$why[] = "before request {$a['n']}..{$b['n']}: +$got, expected +$expect";
		}
	}
	$last = $samples ? end($samples) : null;
	check($samples && !$why, "$name requests counter", $why ? implode('; ', $why)
		: sprintf('+1 per request (%d at the last sample)', $last['zmm']['requests'] ?? -1));
	return $summary;
}

/* ---- main -------------------------------------------------------------------------------- */

out(sprintf('multi: %d requests per run, warm-up %d requests (20%%, at least 3 periods of %d)%s', $N, $cfg['warm'], PERIOD,
	$cfg['short'] ? ' (--short)' : ''));

$need = [];
if ($cfg['only'] !== 'server') {
	$need['cgi'] = find_bin($cfg['cgi']);
}
if ($cfg['only'] !== 'cgi') {
	$need['php'] = find_bin($cfg['php']);
}
foreach ($need as $k => $bin) {
	if ($bin === null) {
		check(false, 'setup', "$k binary not found (" . $cfg[$k] . ')');
	} else {
		$cfg[$k] = $bin;
	}
}
if (!$cfg['native_only'] && !is_file($cfg['ext'])) {
	check(false, 'setup', "extension not found: {$cfg['ext']} (build it, or pass --ext PATH)");
}
if ($failed) {
	out("multi: $passed passed, $failed failed");
	exit(1);
}

/* Is zmm a PHP extension or a Zend extension? */
$cfg['load'] = '';
foreach ($cfg['native_only'] ? [] : ['extension', 'zend_extension'] as $key) {
	[$rc, $o, $e] = run_cmd([$cfg['php'] ?? find_bin('php') ?? 'php', '-n', '-d', "$key={$cfg['ext']}", '-r',
		'echo function_exists("zmm_enabled") ? (zmm_enabled() ? "on" : "off") : "missing";']);
	if ($rc === 0 && ($o === 'on' || $o === 'off')) {
		$cfg['load'] = $key;
		break;
	}
}
if (!$cfg['native_only'] && !check($cfg['load'] !== '', 'setup', $cfg['load'] !== '' ? "loads with {$cfg['load']}={$cfg['ext']}"
	: "cannot load {$cfg['ext']}: rc $rc " . trim($o . ' ' . $e))) {
	out("multi: $passed passed, $failed failed");
	exit(1);
}

$work = sys_get_temp_dir() . '/zmm-multi-' . getmypid() . '-' . bin2hex(random_bytes(3));
mkdir($work, 0700);

$runs = [];
if ($cfg['only'] !== 'server') {
	foreach ([true, false] as $oc) {
		$runs[] = ['sapi' => 'cgi', 'zmm' => false, 'storage' => '-', 'opcache' => $oc];
		foreach ($cfg['native_only'] ? [] : $cfg['storages'] as $st) {
			$runs[] = ['sapi' => 'cgi', 'zmm' => true, 'storage' => $st, 'opcache' => $oc];
		}
	}
}
if ($cfg['only'] !== 'cgi') {
	foreach ([true, false] as $oc) {
		$runs[] = ['sapi' => 'server', 'zmm' => false, 'storage' => '-', 'opcache' => $oc];
		if (!$cfg['native_only']) {
			$runs[] = ['sapi' => 'server', 'zmm' => true, 'storage' => 'default', 'opcache' => $oc];
		}
	}
}

$pool = new CgiPool($cfg, $N, $every);
foreach ($runs as $i => $run) {
	$run['name'] = sprintf('%s/%s/%s', $run['sapi'], $run['zmm'] ? 'zmm-' . $run['storage'] : 'native',
		$run['opcache'] ? 'opcache' : 'no-opcache');
	$run['dir'] = $work . '/' . str_replace('/', '_', $run['name']);
	mkdir($run['dir'], 0700);
	$runs[$i] = $run;
	if ($run['sapi'] === 'cgi') {
		$pool->add($run);
	}
}
$pool->tick();
$results = [];
foreach ($runs as $run) {
	if ($run['sapi'] === 'server') {
		$pool->foreground = 1;
		$pool->tick();
		$results[$run['name']] = run_server($run, $cfg, $N, $every, $pool);
		progress(sprintf('%s: %d requests in %.1fs', $run['name'], $results[$run['name']]['requests_done'],
			$results[$run['name']]['seconds']));
		$pool->foreground = 0;
	}
}
while ($pool->busy()) {
	$pool->tick();
	usleep(50000);
}
$results += $pool->done;

$reference = [];
$summaries = [];
foreach ($runs as $run) {
	$summaries[] = ['run' => $run, 'res' => $results[$run['name']]] + analyze($run, $results[$run['name']], $N, $reference, $cfg);
}

/* Kept segments: a small request after the first maps nothing. mmap calls of php-cgi -T 1 and -T 11
 * of bench/workloads/small.php under strace must be equal for every zmm storage (munmap is not
 * compared: trimming an aligned mapping takes one or two calls depending on where the kernel put
 * it). Without the segments reserved for the second epoch heap, request 2 maps one. */
if (!$cfg['native_only'] && $cfg['only'] !== 'server' && trim((string)shell_exec('command -v strace')) !== '') {
	$small = dirname(__DIR__, 2) . '/bench/workloads/small.php';
	foreach ($cfg['storages'] as $st) {
		$mmaps = [];
		foreach ([1, 11] as $t) {
			$log = "$work/strace-$st-$t.txt";
			$cmd = sprintf('strace -f -c -e trace=mmap -o %s %s -n -d extension=%s -d zmm.storage=%s -q -T %d %s >/dev/null 2>&1',
				escapeshellarg($log), escapeshellarg($cfg['cgi']), escapeshellarg($cfg['ext']), escapeshellarg($st), $t,
				escapeshellarg($small));
			exec($cmd, $o, $rc);
			$mmaps[$t] = $rc === 0 && preg_match('/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?mmap\s*$/m',
				(string)@file_get_contents($log), $m) ? (int)$m[1] : -1;
		}
		check($mmaps[1] >= 0 && $mmaps[1] === $mmaps[11], "cgi/zmm-$st kept segments",
			sprintf('mmap calls of php-cgi -T 1 / -T 11 of small.php: %d / %d (requests 2-11 map nothing)', $mmaps[1], $mmaps[11]));
	}
}

/* Side by side: RSS (KiB) after warm-up over all phases, and the worst phase's growth. */
out('');
out('side by side (after warm-up; RSS in KiB, all phases: min..max, worst phase: base -> max; segments of the request heap / live in both heaps):');
out(sprintf('  %-32s %17s %24s %10s %14s', 'run', 'rss min..max', 'worst phase base->max', 'usage', 'segs / live'));
foreach ($summaries as $s) {
	$r = $s['rss'];
	$w = $r['worst'];
	$seg = isset($s['segments']['min']) ? sprintf('%d..%d / %d..%d', $s['segments']['min'], $s['segments']['max'],
		$s['live']['min'] ?? -1, $s['live']['max'] ?? -1) : '-';
	out(sprintf('  %-32s %17s %24s %10s %14s', $s['run']['name'],
		$r['min'] !== null ? "{$r['min']}..{$r['max']}" : '-',
		$w ? sprintf('%d->%d (%+.1f%%)', $w['base'], $w['max'], $w['base'] ? 100 * $w['growth'] / $w['base'] : 0) : '-',
		isset($s['usage']['max']) ? (string)$s['usage']['max'] : '-', $seg));
}

if ($cfg['keep'] || $failed) {
	out("work directory kept: $work");
} else {
	foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($work, FilesystemIterator::SKIP_DOTS),
		RecursiveIteratorIterator::CHILD_FIRST) as $f) {
		$f->isDir() ? rmdir((string)$f) : unlink((string)$f);
	}
	rmdir($work);
}
out("multi: $passed passed, $failed failed");
exit($failed ? 1 : 0);
