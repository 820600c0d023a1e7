'use strict';
// A storefront's checkout code in Node: the seed flows against the sandbox.
//
//     node examples/storefront.js http://127.0.0.1:8088
//
// JustiFi (the donut checkout), ReCharge (seed 002) and Payfect (seed 004), each printing where
// the shopper goes and how the payment ended.

const { Client } = require('..');

const base = process.argv[2] || 'http://127.0.0.1:8088';

/** What the shopper's browser does: the web component tokenizing a card, a Pay button. */
async function post(url, body, token) {
  const headers = { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(url, { method: 'POST', redirect: 'manual', headers, body: body && JSON.stringify(body) });
  return body ? res.json() : res.status;
}

async function main() {
  const justifi = new Client({ provider: 'justifi', base_url: base, hosted_base_url: base, client_id: 'test_sandbox_client_id',
    client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi' });
  const checkout = await justifi.create({ amount: 1799, description: 'One Chocolate Donut', origin_url: 'http://localhost:3000' });
  const component = await justifi.webComponentToken(checkout.id);
  console.log('justifi redirect:', (await justifi.redirectUrl({ checkout_id: checkout.id })).url);
  const card = { payment_method: { card: { number: '4242424242424242', month: '12', year: '2031' } } };
  const token = (await post(`${base}/v1/payment_methods`, card, component.access_token)).data.id;
  const completion = await justifi.complete({ checkout_id: checkout.id, payment_token: token });
  console.log('justifi completion:', completion.id, completion.payment_status);
  justifi.close();

  const recharge = new Client({ provider: 'recharge', base_url: base, hosted_base_url: base, api_token: 'test_recharge_token' });
  const subscription = await recharge.create({ provider_options: { line_items: [{ charge_interval_frequency: 5,
    order_interval_frequency: 5, order_interval_unit: 'day', product_id: 1255183683, variant_id: 3844924611, quantity: 6 }] } });
  console.log('recharge redirect:', (await recharge.redirectUrl({ checkout_id: subscription.id })).url);
  const charge = await recharge.complete({ checkout_id: subscription.id, payment_token: 'tok_visa' });
  console.log('recharge completion:', charge.payment_id, charge.payment_status);
  recharge.close();

  const payfect = new Client({ provider: 'payfect', base_url: base, api_key: 'test_payfect_key' });
  const crypto = await payfect.create({ currency: 'usdt', line_items: [{ name: 'Standard Plan', description: 'A standard plan',
    unit_amount: 2050, quantity: 1 }], success_url: 'https://example.com/success', cancel_url: 'https://example.com/cancel' });
  const { url } = await payfect.redirectUrl({ checkout_id: crypto.id });
  console.log('payfect redirect:', url);
  await post(url);
  console.log('payfect completion:', crypto.id, (await payfect.get(crypto.id)).payment_status);
  payfect.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
