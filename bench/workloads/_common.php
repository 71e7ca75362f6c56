<?php
/* Shared by every workload: the scale factor and a deterministic checksum.
 * BENCH_SCALE (default 1.0) multiplies the iteration counts; bench/run shrinks it for callgrind and
 * --smoke. Workloads print only values that depend on the script's logic, never on the allocator
 * (no memory_get_usage()), so that every mode must print the same bytes. */
declare(strict_types=1);

function bench_scale(): float
{
	$s = getenv('BENCH_SCALE');
	return ($s === false || $s === '') ? 1.0 : max(0.0001, (float)$s);
}

/* n scaled, at least min. */
function bench_n(int $n, int $min = 1): int
{
	return max($min, (int)round($n * bench_scale()));
}

final class BenchSum
{
	private int $h = 0x12345;
	private int $n = 0;
	public function add(int|string $v): void
	{
		if (is_string($v)) {
			$v = crc32($v);
		}
		$this->h = ($this->h * 31 + $v) & 0x7fffffff;
		$this->n++;
	}
	public function out(string $name): void
	{
		printf("%s: checksum=%08x items=%d\n", $name, $this->h, $this->n);
	}
}
