'use strict';
// The provider-latency section's Node runners (bench/bench.py, `bench/run latency`):
// `latency.js MODE BASE_URL PAYMENT_TOKEN CHECKOUTS CONCURRENCY`, against a sandbox that delays every
// create and complete (the driver sets its `delay_ms` fault). MODE `library` (one Client's Promises,
// on the asynchronous C ABI, with the library's defaults: `max_in_flight` 512) or `fetch` (Node's
// built-in fetch and its keep-alive pool, no bound on connections per origin). Each of the CONCURRENCY
// lanes makes checkouts (create + complete) one after another until CHECKOUTS are made; one checkout
// first, before measuring, fetches the token and opens a connection. fetch sends an `Idempotency-Key`
// on every POST, as JustiFi's docs advise and the library does. Prints one JSON line: throughput, p99,
// the peak RSS growth over the RSS before the run (the kernel's high-water mark, reset first through
// /proc/self/clear_refs) and the most threads the process had (sampled every 10 ms).

const fs = require('node:fs');
const { randomUUID } = require('node:crypto');
const { Client } = require('../bindings/node');

const [mode, base, pm, checkoutsArg, concurrencyArg] = process.argv.slice(2);
const checkouts = Number(checkoutsArg);
const concurrency = Number(concurrencyArg);
const DONUT = { amount: 1799, description: 'One Chocolate Donut', origin_url: 'http://localhost:3000' };
const CREDENTIALS = { client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret' };
const SUB_ACCOUNT = 'acc_5Et9iXrSSAZR2KSouQGAWi';

const statusKib = (field) => Number(fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'))[1]);
const threads = () => fs.readdirSync('/proc/self/task').length;

async function makeOne() {
  if (mode === 'library') {
    const client = new Client({ provider: 'justifi', base_url: base, sub_account: SUB_ACCOUNT, ...CREDENTIALS });
    const one = async () => {
      const checkout = await client.create(DONUT);
      const done = await client.complete({ checkout_id: checkout.id, payment_token: pm });
      if (done.payment_status !== 'succeeded') throw new Error('not paid');
    };
    return [one, () => client.close()];
  }
  const post = async (path, body, headers) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return res.json();
  };
  const { access_token: token } = await post('/oauth/token', CREDENTIALS, {});
  const headers = () => ({ Authorization: `Bearer ${token}`, 'Sub-Account': SUB_ACCOUNT, 'Idempotency-Key': randomUUID() });
  const one = async () => {
    const checkout = (await post('/v1/checkouts', DONUT, headers())).data;
    const done = (await post(`/v1/checkouts/${checkout.id}/complete`, { payment_token: pm, payment_mode: 'ecom' }, headers())).data;
    if (done.payment_status !== 'succeeded') throw new Error('not paid');
  };
  return [one, () => {}];
}

async function main() {
  const [one, close] = await makeOne();
  await one();
  fs.writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
  const rssBefore = statusKib('VmRSS');
  let maxThreads = threads();
  const sampler = setInterval(() => { maxThreads = Math.max(maxThreads, threads()); }, 10);
  const latencies = [];
  let errors = 0;
  const lane = async (n) => {
    for (let i = 0; i < n; i += 1) {
      const t = performance.now();
      try {
        await one();
        latencies.push(performance.now() - t);
      } catch {
        errors += 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => lane(Math.floor(checkouts / concurrency) + (i < checkouts % concurrency))));
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({ mode, concurrency, checkouts: latencies.length, errors,
    per_sec: latencies.length / elapsed, p99_ms: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))],
    rss_growth_mib: (statusKib('VmHWM') - rssBefore) / 1024, max_threads: maxThreads }));
  close();
}

main().catch((e) => { console.error(e); process.exit(1); });
