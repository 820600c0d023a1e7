<?php

declare(strict_types=1);

require_once __DIR__ . '/../src/exceptions.php';
require_once __DIR__ . '/../src/Library.php';
require_once __DIR__ . '/../src/Client.php';
require_once __DIR__ . '/Sandbox.php';
