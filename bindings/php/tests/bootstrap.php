<?php

declare(strict_types=1);

// The library under test: the one STOREFRONT_CHECKOUT_LIB names (scripts/test exports it), else
// this checkout's debug build. The binding looks nowhere else (SECURITY.md), so the suite says it.
if (!getenv('STOREFRONT_CHECKOUT_LIB')) {
    putenv('STOREFRONT_CHECKOUT_LIB=' . dirname(__DIR__, 3) . '/target/debug/libstorefront_checkout.so');
}

require_once __DIR__ . '/../src/exceptions.php';
require_once __DIR__ . '/../src/Library.php';
require_once __DIR__ . '/../src/Client.php';
require_once __DIR__ . '/Sandbox.php';
