/**
 * Types for storefront-checkout (docs/contract.md). Amounts are integers in minor units, as
 * Numbers: a BigInt anywhere in a request is an InvalidRequestError (a ConfigError in a
 * configuration) naming the field, as JSON has no BigInt.
 * @packageDocumentation
 */

// The requests and results are generated from docs/contract.schema.json (types.d.ts, by
// scripts/gen-types); this file types the client and the errors around them.
import type {
  Checkout,
  CompleteRequest,
  Completion,
  Config,
  CreateRequest,
  Provider,
  RedirectRequest,
  RedirectUrl,
  Refund,
  RefundRequest,
  Refunds,
  VoidResult,
  WebComponentToken,
  WebhookEvent,
} from './types';

export * from './types';

/** The result of void() (JustiFi only); the name of earlier releases. */
export type Void = VoidResult;

/**
 * A webhook request's headers, names in any case: Node's own `req.headers`
 * (`IncomingHttpHeaders`, whose values may be undefined) as it is, or any such map.
 */
export type WebhookRequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * A log record (docs/contract.md, "Logging"), emitted as the client's 'log' event. Never a
 * secret, token, card number or body.
 */
export type LogRecord =
  | {
      level: 'debug' | 'info' | 'warning';
      event: 'http_attempt';
      operation: string;
      method: 'GET' | 'POST';
      path: string;
      status: number | null;
      error: string | null;
      ms: number;
      attempt: number;
      retry_in_ms?: number;
      request_id: string | null;
      idempotency_key: string | null;
    }
  | {
      level: 'info';
      event: 'outcome_settled';
      operation: string;
      confirmed_by: 'checkout_get' | 'checkout_refunds';
      checkout_id: string;
      outcome: string;
      idempotency_key: string | null;
    }
  | {
      level: 'warning';
      event: 'operation_failed';
      operation: string;
      error: string;
      http_status: number | null;
      retryable: boolean;
      attempts: number;
      ms: number;
      request_id: string | null;
      idempotency_key: string | null;
    }
  | { level: 'warning'; event: 'log_records_dropped'; count: number };

/**
 * A checkout client. The Promise-returning methods run on the library's own I/O threads (never
 * libuv's pool) and settle on the event loop; only CheckoutError subclasses reject them (a
 * TypeError for a request that is not a plain object). The *Sync twins block the caller.
 * A payment in flight always runs to its end: to learn the outcome of a complete() whose
 * Promise you stopped waiting for, call complete() again with the same idempotency_key.
 * Also a Node EventEmitter (its 'log' event is typed here; no dependency on @types/node).
 */
export class Client {
  /** Throws ConfigError for an invalid configuration (docs/contract.md §5). */
  constructor(config: Config);
  /** The library's log records (README "Logging"); without a listener none is built. */
  on(event: 'log', listener: (record: LogRecord) => void): this;
  once(event: 'log', listener: (record: LogRecord) => void): this;
  off(event: 'log', listener: (record: LogRecord) => void): this;
  removeListener(event: 'log', listener: (record: LogRecord) => void): this;
  /** checkout_create: a checkout of `amount` (minor units) or `line_items`. */
  create(request: CreateRequest): Promise<Checkout>;
  /** create(), blocking the caller. */
  createSync(request: CreateRequest): Checkout;
  /** checkout_get by id, or (JustiFi session flow) by payment intent id; NotFoundError for an unknown one. */
  get(checkoutId?: string, options?: { paymentIntentId?: string }): Promise<Checkout>;
  /** get(), blocking the caller. */
  getSync(checkoutId?: string, options?: { paymentIntentId?: string }): Checkout;
  /**
   * checkout_complete: pays the checkout with a payment token. A declined card resolves with
   * payment_status 'failed'; Payfect rejects with UnsupportedError.
   */
  complete(request: CompleteRequest): Promise<Completion>;
  /** complete(), blocking the caller. */
  completeSync(request: CompleteRequest): Completion;
  /** session_redirect_url: where to send the shopper to pay. */
  redirectUrl(request: RedirectRequest): Promise<RedirectUrl>;
  /** redirectUrl(), blocking the caller. */
  redirectUrlSync(request: RedirectRequest): RedirectUrl;
  /** checkout_web_component_token (JustiFi only): a token and the HTML of JustiFi's checkout component. */
  webComponentToken(checkoutId: string, options?: { idempotencyKey?: string }): Promise<WebComponentToken>;
  /** webComponentToken(), blocking the caller. */
  webComponentTokenSync(checkoutId: string, options?: { idempotencyKey?: string }): WebComponentToken;
  /**
   * Refunds a paid checkout, fully (no amount) or partly. Rejects with ConflictError (an unpaid
   * or, without amount, fully refunded checkout), InvalidRequestError (more than is refundable),
   * UnsupportedError (Payfect). JustiFi: the same idempotency_key and amount never refund twice;
   * ReCharge: read refunds() before refunding again after a pending refund or an error.
   */
  refund(request: RefundRequest): Promise<Refund>;
  /** refund(), blocking the caller. */
  refundSync(request: RefundRequest): Refund;
  /** checkout_refunds: the checkout's payment and what was refunded of it; Payfect rejects with UnsupportedError. */
  refunds(checkoutId: string): Promise<Refunds>;
  /** refunds(), blocking the caller. */
  refundsSync(checkoutId: string): Refunds;
  /** JustiFi only; too late (25 minutes) or unpaid rejects with ConflictError. */
  void(checkoutId: string, options?: { idempotencyKey?: string }): Promise<VoidResult>;
  /** void(), blocking the caller. */
  voidSync(checkoutId: string, options?: { idempotencyKey?: string }): VoidResult;
  /**
   * checkout_webhook_verify: checks a delivery's signature against the configured
   * webhook_secrets and returns the event; act on its `type` (WebhookEventType). `body` must
   * be the raw bytes as received, never re-serialized JSON. A failed check rejects with
   * SignatureError saying which.
   */
  verifyWebhook(headers: WebhookRequestHeaders, body: Uint8Array | string): Promise<WebhookEvent>;
  /** verifyWebhook() returning the event itself: both run on the caller's thread (an HMAC, no I/O). */
  verifyWebhookSync(headers: WebhookRequestHeaders, body: Uint8Array | string): WebhookEvent;
  /** Releases the handle; calls in flight still settle. Safe to call twice. */
  close(): void;
}

/** The shared library's version, e.g. "0.1.0". */
export function version(): string;

/**
 * A failed call: one subclass per status code of the C ABI (docs/contract.md §4). `message`
 * says what went wrong and what to do, naming the offending field where there is one.
 */
export class CheckoutError extends Error {
  /** The C status code. */
  status: number;
  /** The status's snake_case name, e.g. 'invalid_request'. */
  code: string;
  provider: Provider | null;
  /** The HTTP status of the provider's answer, when there was one. */
  httpStatus: number | null;
  /** The provider's own error code, when it gave one. */
  providerCode: string | null;
  /** Whether the same call (with the same idempotencyKey) may succeed. */
  retryable: boolean;
  /** The request id of the provider's answer, when it gave one. */
  requestId: string | null;
  /** The key the call was sent under: call again with it (the call may have gone through). */
  idempotencyKey: string | null;
}
/** Status 1: a required pointer was NULL (a bug in this binding if it happens). */
export class NullArgumentError extends CheckoutError {}
/** A call on a client after close(). */
export class ClientClosedError extends NullArgumentError {}
/** Status 2: a string was not UTF-8. */
export class InvalidUtf8Error extends CheckoutError {}
/** Status 3: a request was not a JSON object. */
export class InvalidJsonError extends CheckoutError {}
/** Status 4: a field is missing, unknown, of the wrong type or out of range. */
export class InvalidRequestError extends CheckoutError {}
/** Status 5: the client configuration is invalid. */
export class ConfigError extends CheckoutError {}
/** Status 6: the provider has no such operation. */
export class UnsupportedError extends CheckoutError {}
/** Status 7: the provider refused the credentials. */
export class AuthenticationError extends CheckoutError {}
/** Status 8: the provider has no such object. */
export class NotFoundError extends CheckoutError {}
/** Status 9: already processed, an idempotency conflict, or a concurrent call. */
export class ConflictError extends CheckoutError {}
/** Status 10: the provider kept answering 429. */
export class RateLimitedError extends CheckoutError {}
/** Status 11: any other refusal, or a 5xx, from the provider. */
export class ProviderError extends CheckoutError {}
/** Status 12: connect, DNS, TLS, reset or malformed HTTP. */
export class NetworkError extends CheckoutError {}
/** Status 13: a deadline passed. */
export class TimeoutError extends CheckoutError {}
/** Status 14: a webhook signature is missing, wrong or outside the tolerance. */
export class SignatureError extends CheckoutError {}
/** Status 99: a bug in the library (a caught panic). */
export class InternalError extends CheckoutError {}
