'use strict';
// storefront-checkout for Node: payment checkouts with JustiFi, ReCharge and Payfect through
// the storefront-checkout shared library (koffi). Calls return Promises backed by the library's
// asynchronous C ABI: each runs on one of the library's own I/O threads, and its outcome comes
// back to the event loop through one registered koffi callback (koffi queues a call from a
// foreign thread onto the main thread), so no libuv pool thread waits on a provider. Each call
// has a blocking twin (createSync, ...).

const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

const LIBRARY_NAME = { darwin: 'libstorefront_checkout.dylib', win32: 'storefront_checkout.dll' }[process.platform]
  || 'libstorefront_checkout.so';

/**
 * The shared library: the file STOREFRONT_CHECKOUT_LIB names (a relative path is taken from the
 * working directory), else this package's prebuilt one (`prebuilds/<platform>-<arch>/`, the
 * layout prebuild tools use) or one beside index.js. Nowhere else: a checkout of the repository
 * sets STOREFRONT_CHECKOUT_LIB=$PWD/target/debug/libstorefront_checkout.so. Not found, the error
 * lists the paths tried and names STOREFRONT_CHECKOUT_LIB.
 */
function locate() {
  // Never a directory found by walking up from the package or the working directory: anyone who
  // can write to a parent directory could plant a library there, whose constructor would run on
  // load (SECURITY.md, "Where the library is loaded from").
  const configured = process.env.STOREFRONT_CHECKOUT_LIB;
  // Made absolute so that dlopen never searches its own path list for a bare name.
  const candidates = configured ? [path.resolve(configured)] : [
    path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`, LIBRARY_NAME),
    path.join(__dirname, LIBRARY_NAME),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`${LIBRARY_NAME} not found; tried: ${candidates.join(', ')}. Install the storefront-checkout `
      + 'package with its prebuilt library, or build the library with `cargo build` and set STOREFRONT_CHECKOUT_LIB '
      + `to its path (e.g. target/debug/${LIBRARY_NAME})`);
  }
  return found;
}

let native = null;

/**
 * The asynchronous calls in flight in this process, by the id given to the library as the
 * callback's user_data: `{ client, resolve, reject }`.
 */
const inFlight = new Map();
let nextCallId = 1;
/**
 * A timer held while calls are in flight: koffi's queue to the main thread does not keep the
 * event loop alive, so without it the process could exit with calls pending. Cleared when the
 * last call ends, so that the process exits normally when none is in flight.
 */
let keepAlive = null;

/**
 * The one callback the library calls for every asynchronous call (docs/contract.md §8): koffi
 * runs it on the main thread while the library's I/O thread waits, so `text` (owned by the
 * library) is read here and never kept. It never throws: a failure of its own becomes the
 * call's InternalError.
 */
function onComplete(id, status, text) {
  const call = inFlight.get(Number(id));
  if (!call) return;
  forget(Number(id));
  let outcome;
  try {
    outcome = { value: settle(status, text) };
  } catch (e) {
    outcome = { error: e instanceof CheckoutError ? e : internalError(e) };
  }
  // Once this callback has returned to koffi (and the I/O thread is free), the call's deferred
  // log records are taken and emitted on the main thread, before the call's Promise settles.
  queueMicrotask(() => {
    try {
      call.client._takeDeferredLogs();
      call.client._emitLogs();
    } finally {
      if (outcome.error) call.reject(outcome.error);
      else call.resolve(outcome.value);
    }
  });
}

/**
 * The clients with a 'log' listener, by the id given to the library as the log callback's
 * user_data; weakly held, so that an unreferenced client is still collected (and freed).
 */
const logging = new Map();
let nextClientId = 1;

/**
 * The one log callback the library calls (docs/contract.md, "Logging"). It only ever runs on the
 * main thread: during a synchronous call, or from checkout_client_flush_log, which the binding
 * calls on the main thread; the records of asynchronous calls are kept by the library meanwhile
 * (CHECKOUT_LOG_DEFER_ASYNC), so no I/O thread ever waits on the event loop to log (koffi would
 * make it wait for the main thread: docs "Asynchronous callbacks"). The record is queued on its
 * client, emitted once the call has returned; `text` is the library's and is copied here.
 */
function onLog(id, text) {
  const client = logging.get(Number(id))?.deref();
  if (client && text) client._logs.push(text);
}

/** Forgets call `id`; the last one lets the event loop end. */
function forget(id) {
  inFlight.delete(id);
  if (inFlight.size === 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
}

/** Loads the library once and declares its functions; owned strings are freed by the library. */
function load() {
  if (native) return native;
  const lib = koffi.load(locate());
  const stringFree = lib.func('void checkout_string_free(void *s)');
  koffi.disposable('CheckoutOwnedString', 'char *', stringFree);
  const op = (name) => lib.func(`int32_t ${name}(void *client, const char *request, _Out_ CheckoutOwnedString *out)`);
  // user_data carries a call id, so it is declared as the pointer-sized integer it holds.
  const callback = koffi.proto('void CheckoutCallback(intptr_t user_data, int32_t status, const char *result_json)');
  const start = (name) => lib.func(`int32_t ${name}(void *client, const char *request, CheckoutCallback *callback, intptr_t user_data)`);
  // user_data carries a client id; the record's length is not needed (koffi reads to its NUL).
  const logCallback = koffi.proto('void CheckoutLogCallback(intptr_t user_data, const char *record_json, size_t len)');
  native = {
    version: lib.func('const char *checkout_version(void)'),
    clientNew: lib.func('int32_t checkout_client_new(const char *config, _Out_ void **client, _Out_ CheckoutOwnedString *out)'),
    clientFree: lib.func('void checkout_client_free(void *client)'),
    verify: lib.func('int32_t checkout_webhook_verify(void *client, const char *headers, const uint8_t *body, size_t len, _Out_ CheckoutOwnedString *out)'),
    ops: {
      create: op('checkout_create'),
      get: op('checkout_get'),
      complete: op('checkout_complete'),
      redirectUrl: op('session_redirect_url'),
      webComponentToken: op('checkout_web_component_token'),
      refund: op('checkout_refund'),
      refunds: op('checkout_refunds'),
      void: op('checkout_void'),
    },
    starts: {
      create: start('checkout_create_async'),
      get: start('checkout_get_async'),
      complete: start('checkout_complete_async'),
      redirectUrl: start('session_redirect_url_async'),
      webComponentToken: start('checkout_web_component_token_async'),
      refund: start('checkout_refund_async'),
      refunds: start('checkout_refunds_async'),
      void: start('checkout_void_async'),
    },
    setLogCallback: lib.func('int32_t checkout_client_set_log_callback(void *client, CheckoutLogCallback *callback, intptr_t user_data, uint32_t flags)'),
    flushLog: lib.func('int32_t checkout_client_flush_log(void *client)'),
    // Registered once for the process and never unregistered: every call shares it.
    callback: koffi.register(onComplete, koffi.pointer(callback)),
    // The same for the log callback, shared by every client that has a 'log' listener.
    logCallback: koffi.register(onLog, koffi.pointer(logCallback)),
  };
  return native;
}

/**
 * A failed call. `status` is the C status code, `code` its snake_case name, `message` names the
 * offending field; `httpStatus`, `providerCode` and `requestId` describe the provider's answer;
 * `retryable` says whether the same call (with the same `idempotencyKey`) may succeed.
 */
class CheckoutError extends Error {
  constructor(error) {
    super(error.message || '');
    this.name = this.constructor.name;
    this.status = error.status ?? 99;
    this.code = error.code ?? 'internal';
    this.provider = error.provider ?? null;
    this.httpStatus = error.http_status ?? null;
    this.providerCode = error.provider_code ?? null;
    this.retryable = Boolean(error.retryable);
    this.requestId = error.request_id ?? null;
    this.idempotencyKey = error.idempotency_key ?? null;
  }
}

const ERROR_CLASSES = {
  1: 'NullArgumentError', 2: 'InvalidUtf8Error', 3: 'InvalidJsonError', 4: 'InvalidRequestError',
  5: 'ConfigError', 6: 'UnsupportedError', 7: 'AuthenticationError', 8: 'NotFoundError', 9: 'ConflictError',
  10: 'RateLimitedError', 11: 'ProviderError', 12: 'NetworkError', 13: 'TimeoutError', 14: 'SignatureError',
  99: 'InternalError',
};
const errors = { CheckoutError };
for (const [status, name] of Object.entries(ERROR_CLASSES)) {
  errors[name] = { [name]: class extends CheckoutError {} }[name];
  errors[name].status = Number(status);
}

/** A call on a client after close() (status 1: its handle is gone). */
class ClientClosedError extends errors.NullArgumentError {
  constructor() {
    super({ status: 1, code: 'null_argument', message: 'client: the client is closed' });
  }
}
errors.ClientClosedError = ClientClosedError;

function errorFor(status, body) {
  const error = { status, ...((body && body.error) || {}) };
  const Class = errors[ERROR_CLASSES[status]] || CheckoutError;
  return new Class(error);
}

/** The library's JSON output; output that does not parse (a library bug) is an InternalError. */
function parse(text) {
  try {
    return text ? JSON.parse(text) : {};
  } catch (e) {
    throw new errors.InternalError({ status: 99, code: 'internal', message: `the library's output could not be read (${e.name})` });
  }
}

/** An InternalError for a failure of this binding's own (never a plain Error to the caller). */
function internalError(e) {
  return new errors.InternalError({ status: 99, code: 'internal', message: `storefront-checkout: ${e && e.name}: ${e && e.message}` });
}

function settle(status, text) {
  const body = parse(text);
  if (status !== 0) throw errorFor(status, body);
  return body;
}

/**
 * The path (`amount`, `line_items[0].unit_amount`) of the first BigInt inside `value`, or null.
 * JSON has no BigInt, so JSON.stringify would throw a bare TypeError naming no field.
 */
function bigIntPath(value, path) {
  if (typeof value === 'bigint') return path;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value)) {
    const found = bigIntPath(item, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (found !== null) return found;
  }
  return null;
}

/**
 * `value` (a request, or with `Refusal` = ConfigError a configuration) as JSON text. A BigInt
 * anywhere in it is refused with the binding's own error naming the field, as the library
 * refuses a bad field.
 */
function encode(value, Refusal = errors.InvalidRequestError) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('a request is a plain object');
  }
  const path = bigIntPath(value, '');
  if (path !== null) {
    throw new Refusal({ status: Refusal.status, code: Refusal === errors.ConfigError ? 'config' : 'invalid_request',
      message: `${path}: must be a Number, not a BigInt (JSON has none: write 1799, not 1799n; amounts are integers in minor units)` });
  }
  return JSON.stringify(value);
}

const released = new FinalizationRegistry(({ handle, id }) => {
  load().clientFree(handle);
  logging.delete(id);
});

/** `CHECKOUT_LOG_DEFER_ASYNC`: records of asynchronous calls wait for checkout_client_flush_log. */
const LOG_DEFER_ASYNC = 1;

/**
 * A checkout client for one provider. `config` is the configuration object of docs/contract.md §5.
 * Amounts are integers in minor units (cents). Every call resolves to the result object or
 * rejects with a CheckoutError subclass.
 *
 * An EventEmitter: `client.on('log', (record) => ...)` receives the library's log records
 * (README "Logging"; docs/contract.md, "Logging"): one per HTTP attempt (`level` 'debug', or
 * 'info' when it will be retried, 'warning' when it failed), per ambiguous outcome settled by a
 * read ('info', with `confirmed_by`) and per failed operation ('warning'); never a secret. They
 * are emitted on the main thread once the library has returned: a synchronous call's before it
 * returns, an asynchronous call's before its Promise settles. Without a listener the library
 * builds no record.
 */
class Client extends EventEmitter {
  constructor(config) {
    super();
    const lib = load();
    const handle = [null];
    const out = [null];
    const status = lib.clientNew(encode(config, errors.ConfigError), handle, out);
    settle(status, out[0]);
    this._handle = handle[0];
    this._closing = false;
    this._id = nextClientId;
    nextClientId += 1;
    this._logs = [];
    this._listening = false;
    released.register(this, { handle: this._handle, id: this._id }, this);
  }

  /**
   * Sets the library's log callback while the client has a 'log' listener, and only then;
   * checked as each call starts, so that every way of adding or removing listeners
   * (removeAllListeners included) is seen.
   */
  _listen() {
    const on = this.listenerCount('log') > 0;
    if (this._closing || on === this._listening) return;
    this._listening = on;
    const lib = load();
    if (on) {
      logging.set(this._id, new WeakRef(this));
      lib.setLogCallback(this._handle, lib.logCallback, this._id, LOG_DEFER_ASYNC);
    } else {
      // When this returns, no record of this client is delivered any more.
      lib.setLogCallback(this._handle, null, 0, 0);
      logging.delete(this._id);
      this._logs = [];
    }
  }

  /** Takes the records the library kept from this client's asynchronous calls. */
  _takeDeferredLogs() {
    if (!this._closing && logging.has(this._id)) load().flushLog(this._handle);
  }

  /**
   * Emits the records taken, oldest first; a record that does not parse is skipped. A listener
   * that throws never becomes the call's outcome nor an uncaught exception: the error is a
   * process warning, and the other records are still emitted.
   */
  _emitLogs() {
    const texts = this._logs;
    if (texts.length === 0) return;
    this._logs = [];
    for (const text of texts) {
      let record;
      try {
        record = JSON.parse(text);
      } catch {
        continue;
      }
      try {
        this.emit('log', record);
      } catch (e) {
        process.emitWarning(`a 'log' listener of a storefront-checkout client threw: ${e}`, 'StorefrontCheckoutLogWarning');
      }
    }
  }

  _request(op, request) {
    if (this._closing) throw new ClientClosedError();
    this._listen();
    return encode(request);
  }

  _sync(op, request) {
    const json = this._request(op, request);
    const out = [null];
    const status = load().ops[op](this._handle, json, out);
    this._emitLogs();
    return settle(status, out[0]);
  }

  /**
   * Starts `op` through the library's asynchronous ABI: the Promise settles when the library
   * calls back. Beyond the client's `max_in_flight`, calls wait in the library's queue.
   */
  _async(op, request) {
    let json;
    try {
      json = this._request(op, request);
    } catch (e) {
      return Promise.reject(e);
    }
    const lib = load();
    return new Promise((resolve, reject) => {
      const id = nextCallId;
      nextCallId += 1;
      inFlight.set(id, { client: this, resolve, reject });
      if (keepAlive === null) keepAlive = setInterval(() => {}, 2 ** 31 - 1);
      let status;
      try {
        status = lib.starts[op](this._handle, json, lib.callback, id);
      } catch (e) {
        forget(id);
        reject(internalError(e));
        return;
      }
      if (status !== 0) {
        // Not started (the callback will never come): NULL handle, or no thread to be had.
        forget(id);
        reject(errorFor(status, { error: { message: `${op}: the call could not be started` } }));
      }
    });
  }

  /** checkout_create: amount or line_items, currency, description, URLs, metadata, provider_options. */
  create(request) { return this._async('create', request); }
  createSync(request) { return this._sync('create', request); }

  /** checkout_get by checkout id, or `{ paymentIntentId }` for JustiFi's session flow. */
  get(checkoutId, options = {}) { return this._async('get', lookup(checkoutId, options)); }
  getSync(checkoutId, options = {}) { return this._sync('get', lookup(checkoutId, options)); }

  /** checkout_complete: a declined card resolves with payment_status "failed". */
  complete(request) { return this._async('complete', request); }
  completeSync(request) { return this._sync('complete', request); }

  /** session_redirect_url: `{ url, expires_at, ... }`, where to send the shopper. */
  redirectUrl(request) { return this._async('redirectUrl', request); }
  redirectUrlSync(request) { return this._sync('redirectUrl', request); }

  /** checkout_web_component_token (JustiFi): `{ access_token, expires_in, html }`. */
  webComponentToken(checkoutId, options = {}) { return this._async('webComponentToken', keyed(checkoutId, options)); }
  webComponentTokenSync(checkoutId, options = {}) { return this._sync('webComponentToken', keyed(checkoutId, options)); }

  /**
   * checkout_refund: refunds a paid checkout, fully or partly. `request` is `{ checkout_id,
   * amount?, reason?, metadata?, idempotency_key? }`: `amount` in minor units (500 refunds
   * 5.00 USD); without it, all that is still refundable (read first, so right after partial
   * refunds too). Resolves to the refund `{ id, checkout_id, payment_id, amount, currency,
   * status: 'succeeded' | 'failed' | 'pending', refund_error, idempotency_key, confirmed_by,
   * pending_reason, created_at, provider_data, attempts }`.
   * Never twice: JustiFi's refund goes under `idempotency_key` (yours, or generated and
   * returned, on an error too); calling again with the same key and amount replays it. ReCharge
   * takes no key and a refund that may have reached it is never resent: read refunds() before
   * refunding again. Rejects with ConflictError (unpaid checkout; no amount on a fully refunded
   * one), InvalidRequestError (an amount above what is refundable; reason or metadata, which
   * neither JustiFi nor ReCharge takes), UnsupportedError (Payfect publishes no refund).
   */
  refund(request) { return this._async('refund', request); }
  refundSync(request) { return this._sync('refund', request); }

  /**
   * checkout_refunds: `{ payment_id, currency, amount_paid, amount_refunded, amount_refundable,
   * refunds: [{ id, amount, status, reason, created_at }] }`, amounts in minor units (ReCharge
   * gives only the totals; an unpaid checkout reads payment_id null and zeros).
   */
  refunds(checkoutId) { return this._async('refunds', { checkout_id: checkoutId }); }
  refundsSync(checkoutId) { return this._sync('refunds', { checkout_id: checkoutId }); }

  /**
   * checkout_void (JustiFi only): voids the paid checkout's card payment before it settles
   * (within 25 minutes) → `{ payment_id, status: 'voided', idempotency_key }`. Too late, or an
   * unpaid checkout, rejects with ConflictError (refund instead); other providers UnsupportedError.
   */
  void(checkoutId, options = {}) { return this._async('void', keyed(checkoutId, options)); }
  voidSync(checkoutId, options = {}) { return this._sync('void', keyed(checkoutId, options)); }

  /**
   * checkout_webhook_verify: checks a delivery's signature against the configured
   * webhook_secrets and resolves to the normalized event (type, object_id, checkout_id,
   * payment_status, data). `headers` maps names (any case) to values; `body` is the raw body
   * (a Buffer, as received, or a string). A failed check rejects with a SignatureError.
   */
  verifyWebhook(headers, body) {
    // CPU-only (an HMAC over the body, microseconds): run on this thread, as the library allows.
    try {
      return Promise.resolve(this.verifyWebhookSync(headers, body));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  verifyWebhookSync(headers, body) {
    const args = this._webhookArgs(headers, body);
    const out = [null];
    const status = load().verify(this._handle, args.headers, args.body, args.body.length, out);
    this._emitLogs();
    return settle(status, out[0]);
  }

  _webhookArgs(headers, body) {
    if (this._closing) throw new ClientClosedError();
    this._listen();
    const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (!(raw instanceof Uint8Array)) throw new TypeError('body must be a Buffer (the raw request body) or a string');
    return { headers: encode(headers), body: raw };
  }

  /**
   * Releases the handle; safe to call twice. Calls in flight still settle: the library keeps
   * what they need until they end (docs/contract.md §8).
   */
  close() {
    if (this._closing) return;
    this._closing = true;
    released.unregister(this);
    // Frees the handle; the library clears the log callback first (no record after this).
    load().clientFree(this._handle);
    logging.delete(this._id);
    this._logs = [];
    this._handle = null;
  }
}

/** `{ checkout_id, idempotency_key? }`: the request of webComponentToken() and void(). */
function keyed(checkoutId, { idempotencyKey } = {}) {
  const request = { checkout_id: checkoutId };
  if (idempotencyKey !== undefined) request.idempotency_key = idempotencyKey;
  return request;
}

function lookup(checkoutId, { paymentIntentId } = {}) {
  const request = {};
  if (checkoutId !== undefined && checkoutId !== null) request.checkout_id = checkoutId;
  if (paymentIntentId !== undefined) request.payment_intent_id = paymentIntentId;
  return request;
}

/** The shared library's version, e.g. "0.1.0". */
function version() {
  return load().version();
}

module.exports = { Client, version, ...errors };
