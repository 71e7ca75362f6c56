<?php
/* A small request (a few KB of allocations), for the "no mmap/munmap after the first request"
 * check: bench/run traces `php-cgi -T 10` and `php-cgi -T 60` and divides the difference. */
$items = [];
for ($i = 0; $i < 50; $i++) {
	$items["k$i"] = ['id' => $i, 'label' => "Item $i", 'tags' => [$i % 3, $i % 5]];
}
$html = '<ul>';
foreach ($items as $k => $it) {
	$html .= '<li id="' . $k . '">' . htmlspecialchars($it['label']) . ' ' . implode('/', $it['tags']) . '</li>';
}
echo $html, "</ul>\n", md5(json_encode($items)), "\n";
