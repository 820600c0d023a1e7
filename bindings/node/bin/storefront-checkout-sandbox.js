#!/usr/bin/env node
'use strict';
// `storefront-checkout-sandbox`: the local emulator of JustiFi, ReCharge and Payfect that the
// package ships (prebuilds/<platform>-<arch>/checkout-sandbox), so a storefront runs offline
// with no Rust toolchain: `npx storefront-checkout-sandbox --port 8088`.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const binary = path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, 'checkout-sandbox');
if (!fs.existsSync(binary)) {
  console.error(`checkout-sandbox not found at ${binary}: install the storefront-checkout package built by scripts/package`);
  process.exit(1);
}
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
