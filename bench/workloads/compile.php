<?php
/* Compile-heavy: generates PHP source (functions, classes, closures, arrays, string templates) and
 * compiles it again and again, with eval() of fresh code and include of generated files (the CLI has
 * no opcache, so every include compiles). Exercises the compiler's arena, AST, op_array and
 * literal allocations, and the many small blocks of class and function tables. */
require __DIR__ . '/_common.php';

mt_srand(17);
$sum = new BenchSum();

function gen_body(int $seed, int $stmts): string
{
	$out = '';
	for ($i = 0; $i < $stmts; $i++) {
		switch (($seed + $i) % 6) {
		case 0: $out .= "\$a{$i} = [" . implode(', ', range($i, $i + 8)) . "];\n"; break;
		case 1: $out .= "\$s{$i} = \"v{\$x}-$i-\" . str_repeat('z', " . ($i % 9 + 1) . ");\n"; break;
		case 2: $out .= "if (\$x > $i) { \$x = (\$x * 3 + $i) % 1000003; } else { \$x += $i; }\n"; break;
		case 3: $out .= "foreach ([1, 2, 3, $i] as \$k => \$v) { \$x += \$k * \$v; }\n"; break;
		case 4: $out .= "\$m{$i} = ['k$i' => $i, 'n' => 'name$i', 'l' => [$i, " . ($i * 2) . "]];\n"; break;
		default: $out .= "\$x = match (\$x % 3) { 0 => \$x + $i, 1 => \$x - 1, default => \$x ^ $i };\n";
		}
	}
	return $out;
}

$evalRounds = bench_n(1000);
$x = 0;
for ($r = 0; $r < $evalRounds; $r++) {
	/* unique names: functions and classes stay declared until the end of the request */
	$code = "function gen_f_$r(int \$x): int {\n" . gen_body($r, 40) . "return \$x;\n}\n";
	$code .= "final class GenC_$r { public const K = $r; public array \$p = ['a' => $r];\n"
	       . " public function m(int \$x): int {\n" . gen_body($r + 1, 20) . "return \$x + self::K; }\n"
	       . " public static function s(): string { return 'GenC_$r'; } }\n";
	$code .= "return static function (int \$x): int {\n" . gen_body($r + 2, 20) . "return \$x;\n};\n";
	$fn = eval($code);
	$x = $fn(("gen_f_$r")($x));
	$cls = "GenC_$r";
	$x = (new $cls())->m($x);
	$sum->add($x);
	/* expression-only evals: compiled and thrown away */
	for ($j = 0; $j < 10; $j++) {
		$sum->add(eval("return " . ($r * 10 + $j) . " * 2 + strlen('" . str_repeat('q', $j) . "');"));
	}
}

/* include of generated files: each returns closures, so including the same file again is legal */
$dir = sys_get_temp_dir() . '/zmm-bench-compile-' . getmypid();
@mkdir($dir);
$files = [];
for ($f = 0; $f < 20; $f++) {
	$src = "<?php\nreturn [\n";
	for ($k = 0; $k < 15; $k++) {
		$src .= "static function (int \$x): int {\n" . gen_body($f * 100 + $k, 25) . "return \$x;\n},\n";
	}
	$src .= "];\n";
	file_put_contents($files[] = "$dir/gen_$f.php", $src);
}
$incRounds = bench_n(90);
for ($r = 0; $r < $incRounds; $r++) {
	foreach ($files as $file) {
		$fns = include $file;
		$x = $fns[$r % count($fns)]($x);
	}
	$sum->add($x);
}
foreach ($files as $file) {
	unlink($file);
}
@rmdir($dir);
$sum->out('compile');
