'use strict';
// The library's log records as 'log' events (README "Logging"): synchronous calls, many
// concurrent asynchronous calls (their records kept by the library and emitted on the main
// thread before each Promise settles), levels, removing the listener, and no secret.

const test = require('node:test');
const assert = require('node:assert/strict');
require('../support/library');
const sc = require('..');
const { start, http, tokenize } = require('../support/sandbox');

let sandbox;
test.before(async () => { sandbox = await start(); });
test.after(() => sandbox.stop());

const justifiConfig = (extra = {}) => ({ provider: 'justifi', base_url: sandbox.url, hosted_base_url: sandbox.url,
  client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi', ...extra });
const SEED_002 = { line_items: [{ charge_interval_frequency: 5, order_interval_frequency: 5, order_interval_unit: 'day',
  product_id: 1255183683, variant_id: 3844924611, quantity: 6 }] };
const SECRETS = ['test_sandbox_client_secret', 'test_recharge_token', 'Bearer', '4242424242424242', '"tok_'];

function assertClean(records, ...more) {
  for (const record of records) {
    const text = JSON.stringify(record);
    for (const secret of [...SECRETS, ...more]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  }
}

test('synchronous calls emit their records before they return', async () => {
  const client = new sc.Client(justifiConfig());
  const records = [];
  client.on('log', (r) => records.push(r));
  const card = await tokenize(sandbox.url);
  const checkout = client.createSync({ amount: 1799, description: 'One Chocolate Donut' });
  const seen = records.length;
  assert.equal(seen, checkout.attempts, 'every attempt, emitted before createSync returned');
  const done = client.completeSync({ checkout_id: checkout.id, payment_token: card, idempotency_key: 'node-log-1' });
  assert.throws(() => client.getSync('cho_missing'), sc.NotFoundError);
  const attempts = records.filter((r) => r.event === 'http_attempt');
  assert.equal(attempts.length, checkout.attempts + done.attempts + 1);
  assert.ok(attempts.every((r) => r.level === 'debug' && r.ms >= 0));
  const complete = attempts.find((r) => r.operation === 'checkout_complete');
  assert.deepEqual([complete.method, complete.status, complete.idempotency_key], ['POST', 201, 'node-log-1']);
  const failed = records.filter((r) => r.event === 'operation_failed');
  assert.deepEqual(failed.map((r) => [r.level, r.operation, r.error, r.http_status]), [['warning', 'checkout_get', 'not_found', 404]]);
  assertClean(records, card);
  client.close();
});

test('asynchronous calls: records emitted on the main thread before each Promise settles', async () => {
  const client = new sc.Client(justifiConfig());
  const records = [];
  client.on('log', (r) => records.push(r));
  await http('POST', `${sandbox.url}/__sandbox/faults`, { route: 'POST /v1/checkouts', delay_ms: 100, times: 64 });
  const results = await Promise.all(Array.from({ length: 64 }, async () => {
    const checkout = await client.create({ amount: 500, description: 'async' });
    const mine = records.filter((r) => r.event === 'http_attempt' && r.operation === 'checkout_create');
    return { checkout, seenBefore: mine.length };
  }));
  const total = results.reduce((n, { checkout }) => n + checkout.attempts, 0);
  assert.equal(records.filter((r) => r.event === 'http_attempt').length, total);
  // Each Promise settled after its own records were emitted: the n-th to settle saw n at least.
  results.map((r) => r.seenBefore).sort((a, b) => a - b).forEach((seen, i) => assert.ok(seen >= i + 1, `${seen} < ${i + 1}`));
  await assert.rejects(client.get('cho_missing'), sc.NotFoundError);
  assert.equal(records.at(-1).event, 'operation_failed', 'the failure was emitted before the rejection');
  assertClean(records);
  client.close();
});

test('retries and settled outcomes are info; a failed attempt is a warning', async () => {
  const client = new sc.Client(justifiConfig());
  const records = [];
  client.on('log', (r) => records.push(r));
  client.createSync({ amount: 1799, description: 'warm-up' });
  records.length = 0;
  await http('POST', `${sandbox.url}/__sandbox/faults`, { route: 'POST /v1/checkouts', status: 503, times: 1 });
  await client.create({ amount: 1799, description: 'retried' });
  assert.deepEqual(records.map((r) => [r.level, r.status, r.attempt]), [['info', 503, 1], ['debug', 201, 2]]);
  assert.ok(records[0].retry_in_ms >= 0);
  client.close();

  const recharge = new sc.Client({ provider: 'recharge', base_url: sandbox.url, hosted_base_url: sandbox.url,
    api_token: 'test_recharge_token', timeout_ms: 200 });
  const settled = [];
  recharge.on('log', (r) => settled.push(r));
  const checkout = await recharge.create({ provider_options: SEED_002 });
  await http('POST', `${sandbox.url}/__sandbox/faults`, { route: 'POST /checkouts/{token}/charge', reset: true, after: true });
  const done = await recharge.complete({ checkout_id: checkout.id, payment_token: 'tok_visa' });
  const outcome = settled.find((r) => r.event === 'outcome_settled');
  assert.deepEqual([outcome.level, outcome.confirmed_by, outcome.checkout_id, outcome.outcome],
    ['info', 'checkout_get', checkout.id, done.payment_status]);
  assert.deepEqual(settled.filter((r) => r.path?.endsWith('/charge')).map((r) => [r.level, r.error]), [['warning', 'network']]);
  assertClean(settled);
  recharge.close();
});

test('without a listener nothing is emitted, and removing it stops the records', async () => {
  const client = new sc.Client(justifiConfig());
  const records = [];
  const listener = (r) => records.push(r);
  client.on('log', listener);
  await client.create({ amount: 1799, description: 'heard' });
  const heard = records.length;
  assert.ok(heard >= 1);
  client.off('log', listener);
  await client.create({ amount: 1799, description: 'unheard' });
  client.createSync({ amount: 1799, description: 'unheard' });
  assert.equal(records.length, heard);
  client.close();
});

test('a listener that throws is a process warning, never the call\'s outcome nor an uncaught exception', async () => {
  const client = new sc.Client(justifiConfig());
  const warnings = [];
  const onWarning = (w) => { if (w.name === 'StorefrontCheckoutLogWarning') warnings.push(w.message); };
  process.on('warning', onWarning);
  const records = [];
  client.on('log', (r) => {
    if (r.event === 'http_attempt') throw new Error('listener broke');
    records.push(r);
  });
  const checkout = await client.create({ amount: 1799, description: 'One Chocolate Donut' });
  assert.equal(typeof checkout.id, 'string', 'the Promise resolved with the checkout');
  assert.throws(() => client.getSync('cho_missing'), sc.NotFoundError, 'the call\'s own error, not the listener\'s');
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  assert.ok(warnings.length >= 2 && warnings.every((m) => m.includes('listener broke')), String(warnings));
  assert.ok(records.some((r) => r.event === 'operation_failed'), 'the record after the throw was still emitted');
  client.close();
});

test('a listener added after removeAllListeners() still hears the records', async () => {
  const client = new sc.Client(justifiConfig());
  client.on('log', () => {});
  client.createSync({ amount: 1799, description: 'first' });
  client.removeAllListeners();
  const records = [];
  client.on('log', (r) => records.push(r));
  client.createSync({ amount: 1799, description: 'second' });
  assert.ok(records.length >= 1);
  client.close();
});
