'use strict';
// Promises backed by the library's asynchronous ABI (docs/contract.md §8), against the sandbox
// with the provider's latency simulated (`delay_ms`): many calls wait on the provider at once
// without holding libuv's pool, beyond max_in_flight they queue, every failure is a
// CheckoutError, and a process with nothing in flight exits. The bounds below are generous
// (several times the ideal); the figures themselves are measured by bench/run.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const sc = require('..');
const { start, http } = require('../support/sandbox');

let sandbox;
test.before(async () => { sandbox = await start(); });
test.after(() => sandbox.stop());

const config = (extra = {}) => ({ provider: 'justifi', base_url: sandbox.url, hosted_base_url: sandbox.url,
  client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi', ...extra });
const donut = { amount: 1799, description: 'One Chocolate Donut' };
const delay = (ms, times) => http('POST', `${sandbox.url}/__sandbox/faults`, { route: 'POST /v1/checkouts', delay_ms: ms, times });

test('256 creates with a 300 ms provider wait on the provider together, and fs keeps its pool', async () => {
  const client = new sc.Client(config());
  await client.get('cho_warm_up').catch(() => {}); // the token, so that only the creates are timed
  await delay(300, 256);
  const began = performance.now();
  const calls = Array.from({ length: 256 }, () => client.create(donut));
  // Issued while the 256 are in flight: with koffi's .async() it waited behind them on libuv's
  // 4 pool threads (19.3 s in issue 19); now nothing of ours is on that pool.
  const readBegan = performance.now();
  await fs.promises.readFile(__filename);
  const readMs = performance.now() - readBegan;
  const checkouts = await Promise.all(calls);
  const tookMs = performance.now() - began;
  console.log(`256 creates at 300 ms: ${Math.round(tookMs)} ms; readFile meanwhile: ${readMs.toFixed(1)} ms`);
  assert.equal(new Set(checkouts.map((c) => c.id)).size, 256);
  assert.ok(tookMs < 10 * 300, `256 calls took ${Math.round(tookMs)} ms`);
  // Tens of milliseconds on an idle machine; the bound leaves room for a loaded test machine
  // (the pool's threads wait for a core too) while failing a pool held by the calls (19 s).
  assert.ok(readMs < 500, `readFile took ${readMs.toFixed(1)} ms`);
  client.close();
});

test('1,000 at once each end in a result or a CheckoutError, the excess queued', async () => {
  const client = new sc.Client(config({ max_in_flight: 100, deadline_ms: 600000 }));
  await delay(50, 1000);
  const outcomes = await Promise.allSettled(Array.from({ length: 1000 }, () => client.create(donut)));
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.ok(o.reason instanceof sc.CheckoutError, `${o.reason && o.reason.stack}`);
  }
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1000);
  client.close();
});

test('a wait in the queue counts against deadline_ms, and ends in a TimeoutError', async () => {
  const client = new sc.Client(config({ max_in_flight: 1, deadline_ms: 1500 }));
  await client.get('cho_warm_up').catch(() => {});
  await delay(1000, 3);
  const outcomes = await Promise.allSettled([client.create(donut), client.create(donut), client.create(donut)]);
  assert.equal(outcomes[0].status, 'fulfilled');
  for (const o of outcomes.slice(1)) {
    assert.ok(o.status === 'rejected' && o.reason instanceof sc.TimeoutError, `${o.reason}`);
  }
  client.close();
});

test('close with calls in flight: they still settle, and later calls are refused', async () => {
  const client = new sc.Client(config());
  await delay(300, 50);
  const calls = Array.from({ length: 50 }, () => client.create(donut));
  client.close();
  const checkouts = await Promise.all(calls);
  assert.equal(new Set(checkouts.map((c) => c.id)).size, 50);
  await assert.rejects(client.create(donut), sc.ClientClosedError);
});

test('an exception on the path back to the caller rejects that call only, as a CheckoutError', async () => {
  const client = new sc.Client(config());
  const parse = JSON.parse;
  let thrown = 0;
  JSON.parse = function once(...args) {
    if (thrown === 0 && String(args[0]).includes('"cho_')) {
      thrown += 1;
      throw new SyntaxError('injected');
    }
    return parse.apply(this, args);
  };
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => client.create(donut)));
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0].reason instanceof sc.InternalError, `${rejected[0].reason}`);
  } finally {
    JSON.parse = parse;
  }
  // A handler of the caller's that throws does not disturb the calls after it.
  const failing = client.create(donut).then(() => { throw new Error('the shop failed'); });
  await assert.rejects(failing, /the shop failed/);
  assert.match((await client.create(donut)).id, /^cho_/);
  client.close();
});

test('a process exits by itself when no call is in flight, and waits for those that are', () => {
  const script = (body) => `
    const { Client } = require(${JSON.stringify(path.join(__dirname, '..'))});
    const c = new Client(${JSON.stringify(config())});
    ${body}`;
  // A call left in flight at the end of the script: the process waits for it, then exits.
  const pending = spawnSync(process.execPath, ['-e', script("c.create({ amount: 1799, description: 'x' }).then((r) => console.log(r.id));")],
    { encoding: 'utf8', timeout: 60000 });
  assert.equal(pending.status, 0, `${pending.signal} ${pending.stderr}`);
  assert.match(pending.stdout, /^cho_/);
  // Nothing in flight, the client never closed: the process ends.
  const idle = spawnSync(process.execPath, ['-e', script("c.get('cho_missing').catch((e) => console.log(e.name));")],
    { encoding: 'utf8', timeout: 60000 });
  assert.equal(idle.status, 0, `${idle.signal} ${idle.stderr}`);
  assert.equal(idle.stdout.trim(), 'NotFoundError');
});
