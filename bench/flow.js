'use strict';
// The benchmark's Node runners: `flow.js MODE BASE_URL PAYMENT_TOKEN CHECKOUTS CONCURRENCY`, MODE
// `sync` (createSync & co.), `async` (the Promise API, koffi's worker threads), `async_per_checkout`
// (a new Client per checkout, as per web request) or `fetch` (the built-in fetch, whose global
// keep-alive pool is what a developer gets per request too). One checkout = create + complete;
// the token is fetched once. CONCURRENCY checkouts are in flight at once. Over HTTPS when
// BASE_URL is `https://`: the library trusts BENCH_CA_BUNDLE (`ca_bundle_path`), fetch the
// NODE_EXTRA_CA_CERTS the benchmark sets to the same file. Prints one JSON line of figures.

const { randomUUID } = require('node:crypto');
const { Client } = require('../bindings/node');

const [mode, base, pm, checkoutsArg, concurrencyArg] = process.argv.slice(2);
const checkouts = Number(checkoutsArg);
const concurrency = Number(concurrencyArg || 1);
const DONUT = { amount: 1799, description: 'One Chocolate Donut', origin_url: 'http://localhost:3000' };
const CREDENTIALS = { client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret' };
const SUB_ACCOUNT = 'acc_5Et9iXrSSAZR2KSouQGAWi';

const TLS = process.env.BENCH_CA_BUNDLE ? { ca_bundle_path: process.env.BENCH_CA_BUNDLE } : {};

async function makeOne() {
  const config = { provider: 'justifi', base_url: base, sub_account: SUB_ACCOUNT, ...CREDENTIALS, ...TLS };
  if (mode === 'async_per_checkout') {
    return async () => {
      const client = new Client(config);
      try {
        const checkout = await client.create(DONUT);
        const done = await client.complete({ checkout_id: checkout.id, payment_token: pm });
        if (done.payment_status !== 'succeeded') throw new Error('not paid');
      } finally {
        client.close();
      }
    };
  }
  if (mode === 'sync' || mode === 'async') {
    const client = new Client(config);
    if (mode === 'sync') {
      return async () => {
        const checkout = client.createSync(DONUT);
        const done = client.completeSync({ checkout_id: checkout.id, payment_token: pm });
        if (done.payment_status !== 'succeeded') throw new Error('not paid');
      };
    }
    return async () => {
      const checkout = await client.create(DONUT);
      const done = await client.complete({ checkout_id: checkout.id, payment_token: pm });
      if (done.payment_status !== 'succeeded') throw new Error('not paid');
    };
  }
  const post = async (path, body, headers) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return res.json();
  };
  const { access_token: token } = await post('/oauth/token', CREDENTIALS, {});
  const headers = { Authorization: `Bearer ${token}`, 'Sub-Account': SUB_ACCOUNT };
  return async () => {
    // An Idempotency-Key on every POST, as JustiFi's docs advise (and the library does).
    const checkout = (await post('/v1/checkouts', DONUT, { ...headers, 'Idempotency-Key': randomUUID() })).data;
    const done = (await post(`/v1/checkouts/${checkout.id}/complete`, { payment_token: pm, payment_mode: 'ecom' },
      { ...headers, 'Idempotency-Key': randomUUID() })).data;
    if (done.payment_status !== 'succeeded') throw new Error('not paid');
  };
}

async function main() {
  const one = await makeOne();
  for (let i = 0; i < Math.min(100, checkouts); i += 1) await one();
  const latencies = [];
  let left = checkouts;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (left > 0) {
      left -= 1;
      const t = process.hrtime.bigint();
      await one();
      latencies.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
  const names = { sync: 'library, Node (koffi, sync)', async: 'library, Node (koffi, async)',
    async_per_checkout: 'library, Node, new Client per checkout', fetch: 'Node fetch' };
  console.log(JSON.stringify({ runner: names[mode], threads: concurrency, checkouts: latencies.length,
    median_us: pick(0.5), p99_us: pick(0.99), per_sec: latencies.length / elapsed }));
}

main().catch((e) => { console.error(e); process.exit(1); });
