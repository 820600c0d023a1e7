'use strict';
// The Node binding against the sandbox binary: every call (async and sync), every error class,
// many concurrent async calls, and memory over 10,000 calls.

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
require('../support/library');
const sc = require('..');
const { start, http, tokenize } = require('../support/sandbox');

const SEED_002 = { line_items: [{ charge_interval_frequency: 5, order_interval_frequency: 5, order_interval_unit: 'day',
  product_id: 1255183683, variant_id: 3844924611, quantity: 6 }] };

let sandbox;
test.before(async () => { sandbox = await start(); });
test.after(() => sandbox.stop());

const justifiConfig = (extra = {}) => ({ provider: 'justifi', base_url: sandbox.url, hosted_base_url: sandbox.url,
  client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi', ...extra });
const rechargeConfig = (extra = {}) => ({ provider: 'recharge', base_url: sandbox.url, hosted_base_url: sandbox.url,
  api_token: 'test_recharge_token', ...extra });
const donut = { amount: 1799, description: 'One Chocolate Donut', origin_url: 'http://localhost:3000' };

test('version', () => assert.equal(sc.version(), '0.1.0'));

test('the JustiFi flow, async', async () => {
  const client = new sc.Client(justifiConfig());
  const checkout = await client.create(donut);
  assert.match(checkout.id, /^cho_/);
  assert.deepEqual([checkout.amount, checkout.currency, checkout.status], [1799, 'usd', 'open']);
  assert.equal((await client.get(checkout.id)).id, checkout.id);
  assert.match((await client.webComponentToken(checkout.id)).html, /^<justifi-checkout auth-token="/);
  const page = await client.redirectUrl({ checkout_id: checkout.id, success_url: 'https://shop.test/ok' });
  assert.ok(page.url.startsWith(`${sandbox.url}/hosted-checkout/${checkout.id}?success_redirect_url=`));
  const request = { checkout_id: checkout.id, payment_token: await tokenize(sandbox.url), idempotency_key: 'node-1' };
  const done = await client.complete(request);
  assert.deepEqual([done.payment_status, done.idempotency_key], ['succeeded', 'node-1']);
  assert.equal((await client.complete(request)).id, done.id, 'the same key replays the completion');
  assert.equal((await client.get(checkout.id)).payment_status, 'paid');
  client.close();
});

test('the JustiFi flow, sync, and a decline', async () => {
  const client = new sc.Client(justifiConfig());
  const checkout = client.createSync(donut);
  const declined = client.completeSync({ checkout_id: checkout.id, payment_token: await tokenize(sandbox.url, '4000000000000002') });
  assert.equal(declined.payment_status, 'failed');
  assert.equal(declined.payment_error.code, 'card_declined');
  const session = client.redirectUrlSync({ amount: 500, success_url: 'https://shop.test/ok' });
  assert.equal(client.getSync(undefined, { paymentIntentId: session.payment_intent_id }).payment_status, 'unpaid');
  assert.match(client.webComponentTokenSync(checkout.id).access_token, /^wct_/);
  client.close();
});

test('ReCharge and Payfect flows', async () => {
  const recharge = new sc.Client(rechargeConfig());
  const checkout = await recharge.create({ provider_options: SEED_002 });
  assert.equal(checkout.amount, 6000);
  assert.equal((await recharge.complete({ checkout_id: checkout.id, payment_token: 'tok_visa' })).payment_status, 'succeeded');
  const payfect = new sc.Client({ provider: 'payfect', base_url: sandbox.url, api_key: 'test_payfect_key' });
  const crypto = await payfect.create({ amount: 2050, currency: 'usdt', description: 'Standard Plan', success_url: 'https://example.com/success' });
  const { url } = await payfect.redirectUrl({ checkout_id: crypto.id });
  const paid = await http('POST', url);
  assert.deepEqual([paid.status, paid.location], [303, 'https://example.com/success']);
  assert.equal((await payfect.get(crypto.id)).payment_status, 'paid');
  await assert.rejects(payfect.complete({ checkout_id: crypto.id, payment_token: 'x' }), sc.UnsupportedError);
  recharge.close();
  payfect.close();
});

test('errors carry the error object, one class per status', async () => {
  const client = new sc.Client(justifiConfig());
  await assert.rejects(client.create({ amount: '17.99', description: 'x' }), (e) => {
    assert.ok(e instanceof sc.InvalidRequestError && e instanceof sc.CheckoutError && e instanceof Error);
    assert.deepEqual([e.status, e.code, e.message], [4, 'invalid_request', 'amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)']);
    return true;
  });
  await assert.rejects(client.get('cho_missing'), (e) => {
    assert.ok(e instanceof sc.NotFoundError);
    assert.deepEqual([e.httpStatus, e.providerCode, e.provider], [404, 'resource_not_found', 'justifi']);
    assert.match(e.requestId, /^req_/);
    return true;
  });
  assert.throws(() => new sc.Client({}), sc.ConfigError);
  assert.throws(() => client.createSync(['not', 'an', 'object']), TypeError);
  await assert.rejects(new sc.Client(justifiConfig({ client_secret: 'wrong' })).get('cho_x'), sc.AuthenticationError);
  const recharge = new sc.Client(rechargeConfig());
  const paid = await recharge.create({ provider_options: SEED_002 });
  await recharge.complete({ checkout_id: paid.id, payment_token: 'tok_visa' });
  await assert.rejects(recharge.complete({ checkout_id: paid.id, payment_token: 'tok_visa' }), sc.ConflictError);
  const other = await recharge.create({ provider_options: SEED_002 });
  await http('POST', `${sandbox.url}/__sandbox/faults`, { route: 'POST /checkouts/{token}/charge', status: 503 });
  const settled = await recharge.complete({ checkout_id: other.id, payment_token: 'tok_visa' });
  assert.deepEqual([settled.payment_status, settled.confirmed_by], ['pending', 'checkout_get']);
  assert.match(settled.pending_reason, /before charging again/);
  client.close();
});

const MINOR_UNITS = 'amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)';

test('a decimal amount says minor units', async () => {
  const client = new sc.Client(justifiConfig());
  await assert.rejects(client.create({ amount: 17.99, description: 'x' }), (e) => {
    assert.ok(e instanceof sc.InvalidRequestError);
    assert.equal(e.message, MINOR_UNITS);
    return true;
  });
  client.close();
});

test('a currency outside ISO 4217 is refused before anything is sent', async () => {
  const before = (await http('GET', `${sandbox.url}/__sandbox/counters`)).body;
  const client = new sc.Client(justifiConfig());
  await assert.rejects(client.create({ amount: 1799, currency: 'dollars', description: 'x' }), (e) => {
    assert.ok(e instanceof sc.InvalidRequestError);
    assert.equal(e.message, 'currency: dollars is not an ISO 4217 currency with minor units, nor usdt or usdc');
    return true;
  });
  client.close();
  const after = (await http('GET', `${sandbox.url}/__sandbox/counters`)).body;
  assert.deepEqual([after.token_grants, after.requests], [before.token_grants, before.requests], 'no token fetch, no request');
});

test('a BigInt is the binding\'s own error naming the field, not a bare TypeError', async () => {
  const client = new sc.Client(justifiConfig());
  const bigint = '{field}: must be a Number, not a BigInt (JSON has none: write 1799, not 1799n; amounts are integers in minor units)';
  await assert.rejects(client.create({ amount: 1799n, description: 'x' }), (e) => {
    assert.ok(e instanceof sc.InvalidRequestError && e instanceof sc.CheckoutError);
    assert.deepEqual([e.status, e.code, e.message], [4, 'invalid_request', bigint.replace('{field}', 'amount')]);
    return true;
  });
  assert.throws(() => client.createSync({ line_items: [{ name: 'x', unit_amount: 250n, quantity: 1 }] }), (e) => {
    assert.ok(e instanceof sc.InvalidRequestError);
    assert.equal(e.message, bigint.replace('{field}', 'line_items[0].unit_amount'));
    return true;
  });
  assert.throws(() => new sc.Client(justifiConfig({ timeout_ms: 5000n })), (e) => {
    assert.ok(e instanceof sc.ConfigError);
    assert.deepEqual([e.status, e.code, e.message], [5, 'config', bigint.replace('{field}', 'timeout_ms')]);
    return true;
  });
  client.close();
});

test('network, timeout and rate-limit errors', async () => {
  const closed = net.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(new sc.Client(justifiConfig({ base_url: `http://127.0.0.1:${port}`, max_retries: 0 })).get('cho_x'), sc.NetworkError);

  const silent = net.createServer(() => {});
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${silent.address().port}`;
  await assert.rejects(new sc.Client(justifiConfig({ base_url: url, timeout_ms: 200, max_retries: 0 })).create({ amount: 1799, description: 'x' }), sc.TimeoutError);
  silent.close();

  const impatient = new sc.Client(rechargeConfig({ max_retries: 0 }));
  assert.throws(() => {
    for (let i = 0; i < 60; i += 1) {
      try { impatient.getSync('0'.repeat(32)); } catch (e) { if (!(e instanceof sc.NotFoundError)) throw e; }
    }
  }, sc.RateLimitedError);
});

test('many async calls at once do not block the event loop', async () => {
  const client = new sc.Client(justifiConfig());
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 1);
  const checkouts = await Promise.all(Array.from({ length: 64 }, () => client.create(donut)));
  clearInterval(timer);
  assert.equal(new Set(checkouts.map((c) => c.id)).size, 64);
  assert.ok(ticks > 0, 'the event loop ran while the calls were in flight');
  const pending = client.get(checkouts[0].id);
  client.close();
  assert.equal((await pending).id, checkouts[0].id, 'close waits for calls in flight');
  assert.throws(() => client.getSync('cho_x'), sc.ClientClosedError);
  await assert.rejects(client.get('cho_x'), (e) => e instanceof sc.ClientClosedError && e instanceof sc.CheckoutError
    && e.status === 1 && e.message === 'client: the client is closed');
  await assert.rejects(client.verifyWebhook({}, '{}'), sc.ClientClosedError);
  client.close();
});

test('10,000 calls keep memory flat', () => {
  // Collect V8's garbage before each reading, so that the figure is the native memory.
  require('node:v8').setFlagsFromString('--expose_gc');
  const gc = require('node:vm').runInNewContext('gc');
  const client = new sc.Client(justifiConfig());
  const missing = () => assert.throws(() => client.getSync('cho_missing'), sc.NotFoundError);
  for (let i = 0; i < 500; i += 1) missing();
  gc();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 10000; i += 1) missing();
  gc();
  const growth = Math.round((process.memoryUsage().rss - before) / 1024);
  console.log(`RSS growth over 10,000 calls: ${growth} KiB`);
  assert.ok(growth < 16 * 1024, `${growth} KiB`);
  client.close();
});

test('a process whose async calls retried exits cleanly', async () => {
  // The library must leave no thread-exit destructor on koffi's worker threads: Node unloads
  // it before they exit, and a dangling one crashed the process at exit (status 139).
  await http('POST', `${sandbox.url}/__sandbox/faults`, { route: 'GET /api/v1/checkouts/{id}/', status: 503 });
  const script = `
    const { Client } = require(${JSON.stringify(path.join(__dirname, '..'))});
    (async () => {
      const c = new Client({ provider: 'payfect', base_url: ${JSON.stringify(sandbox.url)}, api_key: 'test_payfect_key' });
      const x = await c.create({ amount: 100, currency: 'usdt', description: 'x' });
      const y = await c.get(x.id);
      if (y.attempts !== 2) process.exit(3);
      c.close();
    })();`;
  const { spawnSync } = require('node:child_process');
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, `exit ${child.status} signal ${child.signal}: ${child.stderr}`);
});

test('the storefront example runs', () => {
  const out = execFileSync(process.execPath, [path.join(__dirname, '..', 'examples', 'storefront.js'), sandbox.url], { encoding: 'utf8' });
  assert.match(out, /justifi completion: chc_\S+ succeeded/);
  assert.match(out, /recharge completion: \d+ succeeded/);
  assert.match(out.trimEnd(), /payfect completion: \S+ paid$/);
});
