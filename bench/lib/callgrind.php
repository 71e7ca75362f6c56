<?php
/* Parser for callgrind.out files written with --dump-instr=no (positions: line, events: Ir).
 *
 * cg_parse(file) returns:
 *   total  => program total Ir ("summary:"/"totals:" line)
 *   self   => [function name => self Ir]
 *   edges  => [caller => [callee => [calls, inclusive Ir]]]
 *   objects => [function name => basename of the ELF object it is in (php8.2, zmm.so, libc.so.6...)]
 * Function names have callgrind's recursion suffix ('2, '3...) removed, so a function and its
 * recursive instances are one entry. Names are compressed in the file as "(id) name" on first use
 * and "(id)" afterwards; fn, cfn (and cfi/cfl/fi/fe for files, ob/cob for objects) share tables. */

function cg_base_name(string $name): string
{
	return preg_replace("/'\\d+$/", '', $name);
}

function cg_parse(string $file): array
{
	$fh = fopen($file, 'r');
	if (!$fh) {
		throw new RuntimeException("cannot open $file");
	}
	$names = [];                 /* id => base name */
	$objNames = [];              /* object id => basename */
	$ob = '';
	$objects = [];
	$fn = '';
	$cfn = '';
	$pendingCalls = -1;          /* >= 0: the next cost line is the inclusive cost of a call */
	$self = [];
	$edges = [];
	$total = 0;
	$resolve = static function (string $v) use (&$names): string {
		if ($v !== '' && $v[0] === '(') {
			$close = strpos($v, ')');
			$id = substr($v, 1, $close - 1);
			$rest = ltrim(substr($v, $close + 1));
			if ($rest !== '') {
				$names[$id] = cg_base_name($rest);
			}
			return $names[$id] ?? "(id $id)";
		}
		return cg_base_name($v);
	};
	while (($line = fgets($fh)) !== false) {
		$line = rtrim($line, "\n");
		if ($line === '') {
			continue;
		}
		$c = $line[0];
		if (($c >= '0' && $c <= '9') || $c === '+' || $c === '-' || $c === '*') {
			$sp = strpos($line, ' ');
			$cost = $sp === false ? 0 : (int)substr($line, $sp + 1);
			if ($pendingCalls >= 0) {
				$e = &$edges[$fn][$cfn];
				if ($e === null) {
					$e = [0, 0];
				}
				$e[0] += $pendingCalls;
				$e[1] += $cost;
				unset($e);
				$pendingCalls = -1;
			} else {
				$self[$fn] = ($self[$fn] ?? 0) + $cost;
			}
			continue;
		}
		if (strncmp($line, 'fn=', 3) === 0) {
			$fn = $resolve(substr($line, 3));
			$objects[$fn] ??= $ob;
		} elseif (strncmp($line, 'ob=', 3) === 0) {
			$v = substr($line, 3);
			if ($v !== '' && $v[0] === '(') {
				$close = strpos($v, ')');
				$id = substr($v, 1, $close - 1);
				$rest = ltrim(substr($v, $close + 1));
				if ($rest !== '') {
					$objNames[$id] = basename($rest);
				}
				$ob = $objNames[$id] ?? '';
			} else {
				$ob = basename($v);
			}
		} elseif (strncmp($line, 'cob=', 4) === 0) {
			/* callee objects share the table; record new names */
			$v = substr($line, 4);
			if ($v !== '' && $v[0] === '(' && ($close = strpos($v, ')')) !== false && trim(substr($v, $close + 1)) !== '') {
				$objNames[substr($v, 1, $close - 1)] = basename(trim(substr($v, $close + 1)));
			}
		} elseif (strncmp($line, 'cfn=', 4) === 0) {
			$cfn = $resolve(substr($line, 4));
		} elseif (strncmp($line, 'calls=', 6) === 0) {
			$pendingCalls = (int)substr($line, 6);
		} elseif (strncmp($line, 'summary:', 8) === 0 || strncmp($line, 'totals:', 7) === 0) {
			$total = max($total, (int)trim(substr($line, strpos($line, ':') + 1)));
		}
		/* ob=, fl=, fi=, fe=, cob=, cfi=, cfl=, headers: not needed */
	}
	fclose($fh);
	if ($total === 0) {
		$total = array_sum($self);
	}
	return ['total' => $total, 'self' => $self, 'edges' => $edges, 'objects' => $objects];
}

/* The engine's request-allocator entry points (exported by the php binary; all of them branch on
 * use_custom_heap and either run the native Zend MM or call the custom handler). The _fe* ones are
 * Debian's fallible variants; _estrdup/_estrndup are not entry points: they call _emalloc. */
const CG_ENTRY_RE = '/^(_emalloc(_\d+|_large|_huge)?|_efree(_\d+|_large|_huge)?|_erealloc2?|_ecalloc|_safe_emalloc|_safe_erealloc|_femalloc|_fecalloc|_ferealloc2?|_safe_femalloc|_safe_ferealloc)$/';
/* zmm's own functions: everything in the zmm shared object (zmm.so, zmm-noann.so, ...), the
 * handlers, the heap and the storage layer, static helpers included. */
const CG_ZMM_OBJ_RE = '/^zmm.*\.so$/';

function cg_is_zmm(array $p, string $fn): bool
{
	return preg_match(CG_ZMM_OBJ_RE, $p['objects'][$fn] ?? '') === 1;
}

/* Allocator cost of one profile:
 *   calls  = calls into an entry point made from a function that is not itself an entry point or
 *            zmm code (so _ecalloc -> _emalloc counts once, as the _ecalloc call)
 *   ir     = the inclusive Ir of exactly those calls (the entry stub, the native Zend MM internals or
 *            the custom handler and everything below it: zmm, malloc, syscalls' user-side code,
 *            and memset/memcpy done by _ecalloc/_erealloc)
 *   per_call = ir / calls
 *   by_entry = [entry => [calls, ir]] */
function cg_allocator(array $p): array
{
	$calls = 0;
	$ir = 0;
	$by = [];
	foreach ($p['edges'] as $caller => $callees) {
		if (preg_match(CG_ENTRY_RE, $caller) || cg_is_zmm($p, $caller)) {
			continue;
		}
		foreach ($callees as $callee => [$n, $cost]) {
			if (!preg_match(CG_ENTRY_RE, $callee)) {
				continue;
			}
			$calls += $n;
			$ir += $cost;
			$by[$callee][0] = ($by[$callee][0] ?? 0) + $n;
			$by[$callee][1] = ($by[$callee][1] ?? 0) + $cost;
		}
	}
	ksort($by);
	return ['calls' => $calls, 'ir' => $ir, 'per_call' => $calls ? $ir / $calls : 0.0, 'by_entry' => $by];
}

/* Self cost and call count of every function whose name matches $re (default: every function in the
 * zmm object), sorted by self cost: [name => [self Ir, calls, self/call]]. */
function cg_functions(array $p, ?string $re = null): array
{
	$out = [];
	foreach ($p['self'] as $name => $ir) {
		if ($re === null ? cg_is_zmm($p, $name) : preg_match($re, $name)) {
			$out[$name] = [$ir, 0, 0.0];
		}
	}
	foreach ($p['edges'] as $caller => $callees) {
		foreach ($callees as $callee => [$n, $cost]) {
			if (isset($out[$callee]) && $caller !== $callee) {
				$out[$callee][1] += $n;
			}
		}
	}
	foreach ($out as $name => &$row) {
		$row[2] = $row[1] ? $row[0] / $row[1] : 0.0;
	}
	unset($row);
	uasort($out, static fn($a, $b) => $b[0] <=> $a[0]);
	return $out;
}

if (PHP_SAPI === 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
	/* php bench/lib/callgrind.php callgrind.out [regex]: prints the allocator summary and the
	 * functions matching regex (default zmm's) */
	$p = cg_parse($argv[1]);
	$a = cg_allocator($p);
	printf("total Ir %d\nallocator: %d calls, %d Ir, %.1f Ir/call\n", $p['total'], $a['calls'], $a['ir'], $a['per_call']);
	foreach ($a['by_entry'] as $e => [$n, $c]) {
		printf("  %-16s %10d calls %12d Ir %7.1f Ir/call\n", $e, $n, $c, $n ? $c / $n : 0);
	}
	$re = $argv[2] ?? null;
	foreach (array_slice(cg_functions($p, $re), 0, 30, true) as $name => [$ir, $n, $per]) {
		printf("  %-36s self %12d  calls %10d  %7.1f Ir/call\n", $name, $ir, $n, $per);
	}
}
