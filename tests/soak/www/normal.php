<?php
// Ordinary work: objects, arrays, strings, closures, sorting, JSON. Expected: 200.
final class Item
{
    public array $tags = [];
    public function __construct(public int $id, public string $name, public float $price) {}
    public function label(): string { return sprintf('%05d:%s:%.2f:%s', $this->id, $this->name, $this->price, implode(',', $this->tags)); }
}
$seed = (int)($_GET['s'] ?? mt_rand());
mt_srand($seed);
$items = [];
for ($i = 0; $i < 200; $i++) {
    $it = new Item($i, str_repeat(chr(97 + $i % 26), 1 + $i % 40), mt_rand(1, 100000) / 100);
    for ($t = 0; $t < $i % 7; $t++) {
        $it->tags[] = "t$t-" . ($i * $t);
    }
    $items["k$i"] = $it;
}
uasort($items, fn(Item $a, Item $b) => $a->price <=> $b->price);
$groups = [];
foreach ($items as $k => $it) {
    $groups[strlen($it->name) % 10][] = $it->label();
}
$text = '';
foreach ($groups as $g => $labels) {
    $text .= $g . '=' . md5(implode('|', $labels)) . "\n";
}
$words = explode(' ', str_repeat('lorem ipsum dolor sit amet consectetur ', 200));
$counts = array_count_values($words);
$json = json_encode(['groups' => count($groups), 'counts' => $counts, 'first' => array_key_first($items)]);
$back = json_decode($json, true);
$s = str_pad('', 2000, 'x');
for ($i = 0; $i < 50; $i++) {
    $s = substr($s, 1) . chr(65 + $i % 26);
}
header('Content-Type: text/plain');
echo "normal ok\n", $text, strlen($json), ' ', count($back['counts']), ' ', md5($s), "\n";
