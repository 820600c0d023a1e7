// @ts-check
// An Express shop paying with storefront-checkout's Promise API (JustiFi).
//
//   GET  /                              a form: amount (minor units), description
//   POST /pay                           creates the checkout, 303 to JustiFi's hosted page
//   POST /orders/:orderId/complete      pays with a payment method token (payment_token)
//   GET  /orders/:orderId               the order, as JSON
//   POST /webhooks/justifi              JustiFi's deliveries: verified, then applied
//
// One Client for the process, made at start and closed when the server stops: its calls run on
// the library's own I/O threads (never libuv's pool) and share connections and the access
// token. Credentials come from the JUSTIFI_* variables (the README's `export` line for the
// sandbox), the webhook signing secret from JUSTIFI_WEBHOOK_SECRET, the port from PORT, the shop's
// public origin (for the return URL) from SHOP_BASE_URL, configured rather than read from the
// request's Host, which the client chooses (default http://127.0.0.1:PORT, where it listens).
// Orders live in memory: a real shop keeps them in its database.
import { randomUUID } from 'node:crypto';
import express from 'express';
import {
  CheckoutError, Client, ConflictError, InvalidRequestError, NetworkError, NotFoundError, ProviderError,
  RateLimitedError, SignatureError, TimeoutError,
} from 'storefront-checkout';

/**
 * A shop order: amount in minor units.
 * @typedef {{ id: string, checkout_id: string, amount: number, description: string,
 *   status: 'pending' | 'paid' | 'failed' | 'refunded', payment_id: string | null,
 *   refunds: Record<string, number>, idempotency_key: string | null }} Order
 * (idempotency_key: the key of the completion whose outcome is not known yet, sent again by
 * the next one.)
 */

/** @type {Map<string, Order>} */
const orders = new Map();
/** Event ids already applied: JustiFi retries deliveries. */
const seenEvents = new Set();

/**
 * Applies a verified webhook event (docs/contract.md, "Event types"); a repeat changes nothing.
 * Answers the order the event is about when it is paid and its payment unknown (paid on
 * JustiFi's hosted page, not through /complete): the caller reads it.
 * @param {import('storefront-checkout').WebhookEvent} event
 * @returns {Order | undefined}
 */
function apply(event) {
  if (event.event_id === null || !seenEvents.has(event.event_id)) {
    if (event.event_id !== null) seenEvents.add(event.event_id);
    change(event);
  }
  const order = [...orders.values()].find((o) => o.checkout_id === event.checkout_id);
  return order && order.status === 'paid' && order.payment_id === null ? order : undefined;
}

/**
 * Applies a new event to its order.
 * @param {import('storefront-checkout').WebhookEvent} event
 */
function change(event) {
  switch (event.type) {
    case 'payment.succeeded':
    case 'checkout.completed':
    case 'payment.failed': {
      const order = [...orders.values()].find((o) => o.checkout_id === event.checkout_id);
      if (!order) return;
      if (event.type === 'payment.failed') {
        if (order.status === 'pending') order.status = 'failed'; // the shopper may try again
      } else if (order.status === 'pending' || order.status === 'failed') {
        order.status = 'paid'; // a late delivery never undoes a refund
      }
      return;
    }
    case 'refund.created':
    case 'refund.updated': {
      const refund = event.refund;
      // Never an order whose payment is not known yet.
      const order = refund && refund.payment_id !== null
        && [...orders.values()].find((o) => o.payment_id === refund.payment_id);
      if (!refund || !order || refund.id === null) return;
      if (refund.status === 'succeeded') order.refunds[refund.id] = refund.amount ?? 0;
      else delete order.refunds[refund.id];
      const refunded = Object.values(order.refunds).reduce((sum, amount) => sum + amount, 0);
      if (refunded > 0 && refunded >= order.amount) order.status = 'refunded';
      return;
    }
    default:
      // 'other': nothing an order acts on.
  }
}

const AMOUNT_HINT = 'amount: must be a whole number of minor units (1799 for 17.99 USD)';

/**
 * The form's amount in minor units, or null when it is not a whole number (17.99): the request
 * types take a number, so the shop checks its form before calling the library.
 * @param {unknown} text
 * @returns {number | null}
 */
function minorUnits(text) {
  return typeof text === 'string' && /^[0-9]{1,15}$/.test(text) ? Number(text) : null;
}

/**
 * The answer for a library error: the shopper's mistake 400, a provider outage 502.
 * @param {CheckoutError} error
 */
function httpStatus(error) {
  if (error instanceof InvalidRequestError || error instanceof SignatureError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof ProviderError || error instanceof NetworkError || error instanceof TimeoutError
    || error instanceof RateLimitedError) return 502;
  return 500;
}

const webhookSecret = process.env.JUSTIFI_WEBHOOK_SECRET;
if (!webhookSecret) throw new Error('JUSTIFI_WEBHOOK_SECRET: set it to the endpoint\'s signing secret');
const client = new Client({ provider: 'justifi', webhook_secrets: [webhookSecret] });
const port = Number(process.env.PORT ?? 3000);
const origin = (process.env.SHOP_BASE_URL ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
const app = express();

app.get('/', (req, res) => {
  res.type('html').send('<!doctype html><title>Donuts</title><form method="post" action="/pay">'
    + '<input name="amount" value="1799"> cents for <input name="description" value="One Chocolate Donut">'
    + '<button>Pay</button></form>');
});

app.post('/pay', express.urlencoded({ extended: false }), async (req, res) => {
  const form = req.body ?? {}; // Express 5: undefined when the request has no form body
  const orderId = randomUUID();
  const description = String(form.description || `Order ${orderId}`);
  const amount = minorUnits(form.amount);
  if (amount === null) {
    res.status(400).json({ error: 'invalid_request', message: AMOUNT_HINT });
    return;
  }
  const checkout = await client.create({ amount, description, client_reference_id: orderId });
  orders.set(orderId, {
    id: orderId, checkout_id: checkout.id, amount: checkout.amount, description, status: 'pending', payment_id: null, refunds: {},
    idempotency_key: null,
  });
  // JustiFi's hosted page sends the shopper back to success_url once paid: under the configured
  // origin, as the request's Host would make JustiFi's page an open redirect.
  const successUrl = `${origin}/orders/${orderId}`;
  const { url } = await client.redirectUrl({ checkout_id: checkout.id, success_url: successUrl });
  res.redirect(303, url);
});

app.post('/orders/:orderId/complete', express.urlencoded({ extended: false }), async (req, res) => {
  // The token comes from JustiFi's <justifi-tokenize-payment-method> on the shop's page.
  const order = orders.get(req.params.orderId);
  if (!order) {
    res.sendStatus(404);
    return;
  }
  // Saved on the order before the call (the README's "Going to production"): the kept key of a
  // completion whose outcome is unknown, else a new one.
  order.idempotency_key ??= randomUUID();
  let paid;
  try {
    paid = await client.complete({
      checkout_id: order.checkout_id, payment_token: String(req.body?.payment_token ?? ''), idempotency_key: order.idempotency_key,
    });
  } catch (error) {
    if (error instanceof CheckoutError && error.retryable && error.idempotencyKey !== null) {
      // The payment may have gone through: the key stays on the order, so calling again replays
      // it (JustiFi's idempotency) instead of charging twice.
      console.warn(`completion's outcome unknown: ${error.message} (request id ${error.requestId})`);
      res.status(502).json({ error: error.code, message: error.message });
      return;
    }
    order.idempotency_key = null;
    throw error;
  }
  if (paid.payment_id !== null) order.payment_id = paid.payment_id;
  // Known: another card needs another key (a pending completion keeps it).
  if (paid.payment_status !== 'pending') order.idempotency_key = null;
  // The order is marked paid by the webhook, which also comes when the shopper never returns;
  // this answer is for the shopper's page.
  res.json({
    order_id: order.id, payment_status: paid.payment_status, payment_error: paid.payment_error, pending_reason: paid.pending_reason,
  });
});

app.get('/orders/:orderId', (req, res) => {
  const order = orders.get(req.params.orderId);
  if (order) res.json(order);
  else res.sendStatus(404);
});

// The raw body, as received (a Buffer): re-encoded JSON would not match the signature.
app.post('/webhooks/justifi', express.raw({ type: '*/*' }), async (req, res) => {
  const event = await client.verifyWebhook(req.headers, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  const order = apply(event);
  if (order) {
    // Paid on JustiFi's hosted page: its refunds will name the payment, which /complete never
    // saw. One read; when it fails the answer is a 502, JustiFi delivers again and the read is
    // made again.
    const { payment_id: paymentId } = await client.refunds(order.checkout_id);
    order.payment_id ??= paymentId;
  }
  res.sendStatus(200); // JustiFi's docs (webhooks.md): answer 200 within 5 s, anything else is retried
});

// Express 5 hands a rejected handler's error here.
app.use(/** @type {express.ErrorRequestHandler} */ ((error, req, res, next) => {
  if (!(error instanceof CheckoutError)) {
    next(error);
    return;
  }
  const status = httpStatus(error);
  if (status >= 500) console.warn(`checkout call failed: ${error.message} (request id ${error.requestId})`);
  res.status(status).json({ error: error.code, message: error.message });
}));

const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${address && typeof address === 'object' ? address.port : ''}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => client.close()));
}
