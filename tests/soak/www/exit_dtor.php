<?php
// exit() inside a destructor that runs at the end of the script. Expected: 200.
class ExitsInDestructor
{
    public array $data;
    public function __construct() { $this->data = array_fill(0, 500, str_repeat('d', 64)); }
    public function __destruct()
    {
        echo "destructor exits\n";
        exit(0);
    }
}
$objs = [];
for ($i = 0; $i < 20; $i++) {
    $objs[] = new ArrayObject([$i, str_repeat('o', $i * 10)]);
}
$x = new ExitsInDestructor();
echo "exit_dtor ok\n";
