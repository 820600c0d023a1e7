'use strict';
// Provider latency, by hand (BENCHMARKS.md): `node bench/provider_latency.js URL after|before N` starts N
// creates at once against the sandbox at URL, which delays each by 300 ms, and prints the wall time, p99,
// an fs.promises.readFile issued meanwhile, the errors, the peak RSS growth and the threads. `after` is the
// binding (the asynchronous ABI); `before` is what it did until issue 19: koffi's `.async()` on the
// synchronous export, one libuv pool thread per call. STOREFRONT_CHECKOUT_LIB names the library.
const fs = require('node:fs');
const path = require('node:path');
const [url, which, n] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const sc = require(path.join(__dirname, '..', 'bindings', 'node'));

/** `before`: checkout_create through koffi's .async(), as index.js did until issue 19. */
function beforeCreate(client) {
  const koffi = require(path.join(__dirname, '..', 'bindings', 'node', 'node_modules', 'koffi'));
  const lib = koffi.load(process.env.STOREFRONT_CHECKOUT_LIB);
  const free = lib.func('void checkout_string_free(void *s)');
  koffi.disposable('BenchOwnedString', 'char *', free);
  const create = lib.func('int32_t checkout_create(void *client, const char *request, _Out_ BenchOwnedString *out)');
  return (request) => new Promise((resolve, reject) => {
    const out = [null];
    create.async(client._handle, JSON.stringify(request), out, (err, status) => {
      if (err) return reject(err);
      return status === 0 ? resolve(JSON.parse(out[0])) : reject(new sc.CheckoutError(JSON.parse(out[0]).error));
    });
  });
}
const cfg = { provider: 'justifi', base_url: url, client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret', sub_account: 'acc_5Et9iXrSSAZR2KSouQGAWi', deadline_ms: 600000 };
const threads = () => fs.readdirSync('/proc/self/task').length;
(async () => {
  const c = new sc.Client(cfg);
  await c.get('cho_x').catch(() => {});
  const create = which === 'before' ? beforeCreate(c) : (request) => c.create(request);
  await fetch(`${url}/__sandbox/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ route: 'POST /v1/checkouts', delay_ms: 300, times: n }) });
  const rss0 = process.memoryUsage().rss; let peak = rss0, maxThreads = threads();
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); maxThreads = Math.max(maxThreads, threads()); }, 20);
  const t0 = performance.now(); const lat = [];
  const calls = Array.from({ length: n }, () => { const s = performance.now(); return create({ amount: 1799, description: 'x' }).then((r) => { lat.push(performance.now() - s); return r; }, (e) => { lat.push(performance.now() - s); return e; }); });
  const r0 = performance.now(); await fs.promises.readFile(__filename); const readMs = performance.now() - r0;
  const out = await Promise.all(calls);
  const wall = performance.now() - t0; clearInterval(sampler);
  lat.sort((a, b) => a - b);
  const errs = out.filter((o) => o instanceof Error);
  const plain = errs.filter((e) => !(e instanceof sc.CheckoutError)).length;
  console.log(JSON.stringify({ which, n, wall_ms: Math.round(wall), throughput_per_s: Math.round(n / wall * 1000), p99_ms: Math.round(lat[Math.floor(lat.length * 0.99) - 1] || lat[lat.length - 1]), readFile_ms: Math.round(readMs), errors: errs.length, plain_errors: plain, first_error: errs[0] && String(errs[0].message).slice(0, 80), rss_growth_mib: Math.round((peak - rss0) / 1048576), max_threads: maxThreads }));
  c.close();
})();
