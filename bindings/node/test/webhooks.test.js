'use strict';
// verifyWebhook, with signatures computed here by node:crypto.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
require('../support/library');
const sc = require('..');

const BODY = '{"id":"evt_1","event_name":"payment_intent.succeeded","data":{"id":"pi_1","status":"succeeded"}}';
const justifi = (secrets) => new sc.Client({ provider: 'justifi', base_url: 'http://127.0.0.1:9', client_id: '-',
  client_secret: '-', sub_account: '-', webhook_secrets: secrets });
const signed = (secret, body = BODY, at = Math.floor(Date.now() / 1000)) => ({
  'JUSTIFI-TIMESTAMP': String(at),
  'JUSTIFI-SIGNATURE': crypto.createHmac('sha256', secret).update(`${at}.`).update(body).digest('hex'),
});

test('a valid delivery verifies, async and sync, from a Buffer or a string', async () => {
  const client = justifi(['sigk_1', 'sigk_0']);
  const event = await client.verifyWebhook(signed('sigk_1'), Buffer.from(BODY));
  assert.deepEqual([event.type, event.provider_type, event.object_id, event.payment_status],
    ['payment.succeeded', 'payment_intent.succeeded', 'pi_1', 'succeeded']);
  assert.equal(client.verifyWebhookSync(signed('sigk_0'), BODY).event_id, 'evt_1', 'a rotated secret');
  client.close();
});

test('a re-serialized body is pointed at', async () => {
  const client = justifi(['sigk_1']);
  const reencoded = JSON.stringify(JSON.parse(BODY), null, 2);
  await assert.rejects(client.verifyWebhook(signed('sigk_1'), reencoded), (e) => {
    assert.ok(e instanceof sc.SignatureError);
    assert.equal(e.message, "bad signature: JUSTIFI-SIGNATURE matches none of the webhook_secrets; the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets the endpoint's signing secrets");
    return true;
  });
  client.close();
});

test('refusals say which check failed', async () => {
  const client = justifi(['sigk_1']);
  const cases = [
    [signed('sigk_1'), BODY.replace('pi_1', 'pi_2'), /^bad signature/],
    [signed('sigk_x'), BODY, /^bad signature/],
    [signed('sigk_1', BODY, Math.floor(Date.now() / 1000) - 25 * 3600), BODY, /^timestamp outside tolerance/],
    [{}, BODY, /^missing header JUSTIFI-TIMESTAMP/],
    [signed('sigk_1', Buffer.from([0xff])), Buffer.from([0xff]), /^body is not JSON/],
  ];
  for (const [headers, body, message] of cases) {
    await assert.rejects(client.verifyWebhook(headers, body), (e) => {
      assert.ok(e instanceof sc.SignatureError, e.message);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('sigk_1'));
      return true;
    });
  }
  assert.throws(() => client.verifyWebhookSync({}, 42), TypeError);
  client.close();
});

test('ReCharge t=/v1= signatures', () => {
  const client = new sc.Client({ provider: 'recharge', base_url: 'http://127.0.0.1:9', api_token: '-', webhook_secrets: ['rc'] });
  const body = `{"checkout":{"token":"${'c'.repeat(32)}","completed_at":"2024-01-01T00:00:00"}}`;
  const t = Math.floor(Date.now() / 1000);
  const v1 = crypto.createHmac('sha256', 'rc').update(`${t}.${body}`).digest('hex');
  const event = client.verifyWebhookSync({ 'x-recharge-webhook-signature': `t=${t},v1=${v1}` }, body);
  assert.deepEqual([event.type, event.provider_type, event.checkout_id, event.payment_status],
    ['checkout.completed', 'checkout', 'c'.repeat(32), 'succeeded']);
  client.close();
});
