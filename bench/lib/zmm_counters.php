<?php
/* Append file for analysis runs: prints zmm's counters to stderr at the end of the script, e.g.
 *   BENCH_SCALE=0.1 php -n -d extension=zmm.so -d auto_append_file=bench/lib/zmm_counters.php bench/workloads/churn.php
 * (stdout is left alone so the workload's checksum stays comparable). */
if (function_exists('zmm_stats') && ($zmm_s = zmm_stats(true)) !== false) {
	$zmm_c = $zmm_s['counters'];
	$zmm_hits = $zmm_c['cache_hits'] ?? 0;
	$zmm_miss = $zmm_c['cache_misses'] ?? 0;
	fprintf(STDERR, "zmm: %s; cache hit rate %.1f%% (%d hits, %d misses); peak %d B used, %d B real\n",
		json_encode($zmm_c), 100 * $zmm_hits / max(1, $zmm_hits + $zmm_miss), $zmm_hits, $zmm_miss,
		$zmm_s['memory']['peak'] ?? 0, $zmm_s['memory']['real_peak'] ?? 0);
}
