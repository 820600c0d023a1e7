'use strict';
// Where the binding loads the library from: its package (prebuilds/, beside index.js) and
// STOREFRONT_CHECKOUT_LIB, never a target/ directory above the package or the working directory
// (issue 18, item 4).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

// A shared object whose constructor runs when it is loaded, leaving a marker file behind: what a
// planted library would do, harmlessly.
const PLANTED_C = `
#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen(getenv("PLANTED_MARKER"), "w");
    if (f) { fputs("loaded", f); fclose(f); }
}
`;

const made = [];
const tempDir = (prefix) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
};
test.after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

let planted;
test.before(() => {
  const dir = tempDir('planted-build-');
  fs.writeFileSync(path.join(dir, 'planted.c'), PLANTED_C);
  planted = path.join(dir, 'planted.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-o', planted, path.join(dir, 'planted.c')]);
});

/** This package's index.js installed under `root/pkg/node_modules` (no prebuilt library), a
 * working directory under `root/shop`, and the planted library in `above`'s target/debug. */
function plant(root, above) {
  const pkg = path.join(root, 'pkg', 'node_modules', 'storefront-checkout');
  const cwd = path.join(root, 'shop', 'www', 'public');
  fs.mkdirSync(pkg, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  for (const file of ['index.js', 'package.json']) fs.copyFileSync(path.join(__dirname, '..', file), path.join(pkg, file));
  fs.symlinkSync(path.join(__dirname, '..', 'node_modules', 'koffi'), path.join(root, 'pkg', 'node_modules', 'koffi'));
  fs.mkdirSync(path.join(above, 'target', 'debug'), { recursive: true });
  fs.copyFileSync(planted, path.join(above, 'target', 'debug', 'libstorefront_checkout.so'));
  return { pkg, cwd };
}

for (const where of ['working directory', 'package']) {
  test(`a library planted above the ${where} is not loaded`, () => {
    const root = tempDir('planted-');
    const { pkg, cwd } = plant(root, path.join(root, where === 'package' ? 'pkg' : 'shop'));
    const marker = path.join(root, 'marker');
    const env = { ...process.env, PLANTED_MARKER: marker };
    delete env.STOREFRONT_CHECKOUT_LIB;
    const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)}).version()`],
      { cwd, env, encoding: 'utf8', timeout: 60000 });
    assert.equal(fs.existsSync(marker), false, `the library planted above the ${where} was loaded`);
    assert.notEqual(run.status, 0);
    const message = run.stderr.split('\n').find((line) => line.startsWith('Error: '));
    assert.match(message, /^Error: libstorefront_checkout\.so not found; tried: .*STOREFRONT_CHECKOUT_LIB/, run.stderr);
    assert.doesNotMatch(message.split('tried: ')[1].split('. ')[0], /\/target\//);
  });
}

test('the configured path is loaded, relative to the working directory when relative', () => {
  const root = tempDir('configured-');
  fs.mkdirSync(path.join(root, 'lib'));
  fs.copyFileSync(planted, path.join(root, 'lib', 'custom.so'));
  const marker = path.join(root, 'marker');
  spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(__dirname, '..'))}).version()`],
    { cwd: root, env: { ...process.env, STOREFRONT_CHECKOUT_LIB: 'lib/custom.so', PLANTED_MARKER: marker }, timeout: 60000 });
  assert.equal(fs.readFileSync(marker, 'utf8'), 'loaded');
});
