'use strict';
// The sandbox binary on a free loopback port, and requests a browser would send to it.

const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const BIN = process.env.CHECKOUT_SANDBOX_BIN || path.join(__dirname, '..', '..', '..', 'target', 'debug', 'checkout-sandbox');

/** Starts the sandbox; resolves `{ url, stop }`. */
function start() {
  const child = spawn(BIN, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    readline.createInterface({ input: child.stdout }).once('line', (line) => {
      const prefix = 'checkout-sandbox listening on ';
      if (!line.startsWith(prefix)) return reject(new Error(`the sandbox did not start: ${line}`));
      resolve({ url: line.slice(prefix.length), stop: () => child.kill() });
    });
  });
}

/** A request to the sandbox; redirects are reported, not followed. */
async function http(method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = text;
  try { json = JSON.parse(text); } catch { /* a page, not JSON */ }
  return { status: res.status, body: json, location: res.headers.get('location') };
}

/** Tokenizes a test card as JustiFi's web component does: pm_... */
async function tokenize(url, number = '4242424242424242') {
  const grant = await http('POST', `${url}/oauth/token`, { client_id: 'test_sandbox_client_id', client_secret: 'test_sandbox_client_secret' });
  const pm = await http('POST', `${url}/v1/payment_methods`, { payment_method: { card: { number } } },
    { Authorization: `Bearer ${grant.body.access_token}`, 'Sub-Account': 'acc_5Et9iXrSSAZR2KSouQGAWi' });
  if (pm.status !== 201) throw new Error(`tokenizing failed: ${JSON.stringify(pm.body)}`);
  return pm.body.data.id;
}

module.exports = { start, http, tokenize };
