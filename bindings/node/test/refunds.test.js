'use strict';
// Refunds and voids (docs/contract.md, "checkout_refund", "checkout_refunds", "checkout_void")
// against the sandbox binary, Promise and sync forms: partial then full refunds, the refusals as
// their error classes, a key called again, ReCharge's charge refund, Payfect's none, a void.

const test = require('node:test');
const assert = require('node:assert/strict');
require('../support/library');
const sc = require('..');
const { start, http, tokenize } = require('../support/sandbox');

const SEED_002 = { line_items: [{ charge_interval_frequency: 5, order_interval_frequency: 5, order_interval_unit: 'day',
  product_id: 1255183683, variant_id: 3844924611, quantity: 6 }] };

let sandbox;
test.before(async () => { sandbox = await start(); });
test.after(() => sandbox.stop());

const justifiConfig = () => ({ provider: 'justifi', base_url: sandbox.url, hosted_base_url: sandbox.url,
  client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi' });

/** A paid JustiFi checkout's id. */
async function paid(client, amount = 1799) {
  const checkout = await client.create({ amount, description: 'Donuts' });
  const done = await client.complete({ checkout_id: checkout.id, payment_token: await tokenize(sandbox.url) });
  assert.equal(done.payment_status, 'succeeded');
  return checkout.id;
}

/** The refunds the sandbox made of a JustiFi checkout's payment. */
async function ledgerRefunds(checkoutId) {
  return (await http('GET', `${sandbox.url}/__sandbox/ledger`)).body.checkouts[checkoutId].refunds;
}

test('a partial then a full JustiFi refund, with refunds() totals', async () => {
  const client = new sc.Client(justifiConfig());
  const id = await paid(client);
  const before = await client.refunds(id);
  assert.deepEqual([before.amount_paid, before.amount_refunded, before.amount_refundable, before.refunds], [1799, 0, 1799, []]);
  assert.match(before.payment_id, /^py_/);

  const part = await client.refund({ checkout_id: id, amount: 500 });
  assert.deepEqual([part.status, part.amount, part.currency, part.checkout_id, part.payment_id],
    ['succeeded', 500, 'usd', id, before.payment_id]);
  assert.match(part.id, /^chr_/);
  assert.ok(part.idempotency_key && part.confirmed_by === null);
  const middle = await client.refunds(id);
  assert.deepEqual([middle.amount_refunded, middle.amount_refundable], [500, 1299]);

  const rest = await client.refund({ checkout_id: id });
  assert.deepEqual([rest.status, rest.amount], ['succeeded', 1299], 'no amount: what is still refundable');
  const after = await client.refunds(id);
  assert.deepEqual([after.amount_paid, after.amount_refunded, after.amount_refundable], [1799, 1799, 0]);
  assert.deepEqual(after.refunds.map((r) => [r.amount, r.status]), [[500, 'succeeded'], [1299, 'succeeded']]);
  assert.equal((await ledgerRefunds(id)).length, 2);
  await assert.rejects(client.refund({ checkout_id: id }), (e) => {
    assert.ok(e instanceof sc.ConflictError);
    assert.match(e.message, /is fully refunded$/);
    return true;
  });
  client.close();
});

test('a refund called again with its key refunds once (sync)', async () => {
  const client = new sc.Client(justifiConfig());
  const id = await paid(client);
  const request = { checkout_id: id, amount: 700, idempotency_key: 'node-refund-order-7' };
  const first = client.refundSync(request);
  const again = client.refundSync(request);
  assert.deepEqual([again.id, again.status, again.idempotency_key], [first.id, 'succeeded', 'node-refund-order-7']);
  assert.equal((await ledgerRefunds(id)).length, 1);
  assert.equal(client.refundsSync(id).amount_refunded, 700);
  client.close();
});

test('refunding an unpaid checkout is a ConflictError', async () => {
  const client = new sc.Client(justifiConfig());
  const unpaid = await client.create({ amount: 900, description: 'Box' });
  await assert.rejects(client.refund({ checkout_id: unpaid.id }), (e) => {
    assert.ok(e instanceof sc.ConflictError && e instanceof sc.CheckoutError);
    assert.deepEqual([e.status, e.code], [9, 'conflict']);
    assert.match(e.message, /is not paid/);
    return true;
  });
  assert.throws(() => client.refundSync({ checkout_id: unpaid.id }), sc.ConflictError);
  const state = await client.refunds(unpaid.id);
  assert.deepEqual([state.payment_id, state.amount_paid, state.amount_refundable], [null, 0, 0]);
  client.close();
});

test('refunding more than is refundable is an InvalidRequestError', async () => {
  const client = new sc.Client(justifiConfig());
  const id = await paid(client);
  await client.refund({ checkout_id: id, amount: 500 });
  await assert.rejects(client.refund({ checkout_id: id, amount: 1300 }), (e) => {
    assert.ok(e instanceof sc.InvalidRequestError);
    assert.equal(e.status, 4);
    assert.ok(e.message.startsWith('amount: 1300 minor units is more than the 1299'), e.message);
    return true;
  });
  assert.equal((await ledgerRefunds(id)).length, 1, 'nothing was refunded');
  await assert.rejects(client.refund({ checkout_id: id, amount: 5n }),
    (e) => e instanceof sc.InvalidRequestError && /^amount: must be a Number/.test(e.message));
  client.close();
});

test('ReCharge refunds the charge without a key; Payfect has no refund', async () => {
  const recharge = new sc.Client({ provider: 'recharge', base_url: sandbox.url, hosted_base_url: sandbox.url, api_token: 'test_recharge_token' });
  const checkout = await recharge.create({ provider_options: SEED_002 });
  await recharge.complete({ checkout_id: checkout.id, payment_token: 'tok_visa' });
  const part = await recharge.refund({ checkout_id: checkout.id, amount: 1000 });
  assert.deepEqual([part.status, part.amount, part.idempotency_key], ['succeeded', 1000, null]);
  const rest = await recharge.refund({ checkout_id: checkout.id });
  assert.deepEqual([rest.status, rest.amount], ['succeeded', 5000]);
  const state = await recharge.refunds(checkout.id);
  assert.deepEqual([state.amount_paid, state.amount_refunded, state.amount_refundable], [6000, 6000, 0]);
  await assert.rejects(recharge.void(checkout.id), sc.UnsupportedError);
  recharge.close();

  const payfect = new sc.Client({ provider: 'payfect', base_url: sandbox.url, api_key: 'test_payfect_key' });
  await assert.rejects(payfect.refund({ checkout_id: 'c_1' }), (e) => {
    assert.ok(e instanceof sc.UnsupportedError);
    assert.deepEqual([e.status, e.message], [6, "checkout_refund: Payfect's published API has no refund"]);
    return true;
  });
  assert.throws(() => payfect.refundSync({ checkout_id: 'c_1' }), sc.UnsupportedError);
  await assert.rejects(payfect.refunds('c_1'), sc.UnsupportedError);
  payfect.close();
});

test('a JustiFi void, Promise and sync', async () => {
  const client = new sc.Client(justifiConfig());
  const id = await paid(client);
  const voided = await client.void(id, { idempotencyKey: 'node-void-1' });
  assert.deepEqual([voided.status, voided.checkout_id, voided.idempotency_key], ['voided', id, 'node-void-1']);
  assert.match(voided.payment_id, /^py_/);
  const other = await paid(client);
  assert.equal(client.voidSync(other).status, 'voided');
  const unpaid = await client.create({ amount: 900, description: 'Box' });
  await assert.rejects(client.void(unpaid.id), sc.ConflictError);
  client.close();
});
