'use strict';
// The library under test: the one STOREFRONT_CHECKOUT_LIB names (scripts/test exports it), else
// this checkout's debug build. The binding looks nowhere else (SECURITY.md), so the suite says it.

const path = require('node:path');

process.env.STOREFRONT_CHECKOUT_LIB ??= path.join(__dirname, '..', '..', '..', 'target', 'debug', 'libstorefront_checkout.so');
