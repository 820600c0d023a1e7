'use strict';
// support/schema-hook.js, which checks every result and error of the suite against
// docs/contract.schema.json, is loaded, counts what it checks, and fails a call whose output
// breaks the schema (a typo'd key, a status outside its enum, a decimal amount).

const test = require('node:test');
const assert = require('node:assert/strict');
require('../support/library');
const sc = require('..');
const { start } = require('../support/sandbox');

const hook = globalThis[Symbol.for('storefront-checkout.schema-hook')];

let sandbox;
test.before(async () => { sandbox = await start(); });
test.after(() => sandbox.stop());

const justifiConfig = () => ({ provider: 'justifi', base_url: sandbox.url, hosted_base_url: sandbox.url,
  client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi' });

test('the schema hook is loaded (run the suite with npm test)', () => {
  assert.ok(hook, 'run node --require ./support/schema-hook.js --test');
});

test('every result and error is checked', async () => {
  const client = new sc.Client(justifiConfig());
  const before = { ...hook.validated };
  const checkout = await client.create({ amount: 1799, description: 'One Chocolate Donut' });
  client.redirectUrlSync({ checkout_id: checkout.id });
  await assert.rejects(client.create({ amount: 17.99 }), sc.InvalidRequestError);
  assert.deepEqual([hook.validated.checkout, hook.validated.redirect_url, hook.validated.error],
    [before.checkout + 1, before.redirect_url + 1, before.error + 1]);
  client.close();
});

test('an output that breaks the schema fails', async () => {
  const client = new sc.Client(justifiConfig());
  const checkout = await client.create({ amount: 1799, description: 'One Chocolate Donut' });
  const mutations = [
    (c) => { c.redirect_urll = c.redirect_url; delete c.redirect_url; },
    (c) => { c.payment_status = 'succeeded'; },
    (c) => { c.amount = 17.99; },
    (c) => { delete c.attempts; },
  ];
  for (const mutate of mutations) {
    const wrong = structuredClone(checkout);
    mutate(wrong);
    assert.throws(() => hook.check('checkout', wrong), /breaks docs\/contract.schema.json/);
  }
  const error = hook.errorObject(new sc.InvalidRequestError({ status: 4, code: 'invalid-request', message: 'x' }));
  assert.throws(() => hook.check('error', error), /breaks docs\/contract.schema.json/);
  client.close();
});
