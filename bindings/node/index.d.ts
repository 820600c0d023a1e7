// Types for storefront-checkout (docs/contract.md). Amounts are integers in minor units, as
// Numbers: a BigInt anywhere in a request is an InvalidRequestError (a ConfigError in a
// configuration) naming the field, as JSON has no BigInt.

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
 * A checkout client. The Promise-returning methods run on the library's own I/O threads (never
 * libuv's pool) and settle on the event loop; only CheckoutError subclasses reject them (a
 * TypeError for a request that is not a plain object). The *Sync twins block the caller.
 * A payment in flight always runs to its end: to learn the outcome of a complete() whose
 * Promise you stopped waiting for, call complete() again with the same idempotency_key.
 */
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

/** Also a Node EventEmitter (its 'log' event is typed here; no dependency on @types/node). */
export class Client {
  constructor(config: Config);
  /** The library's log records (README "Logging"); without a listener none is built. */
  on(event: 'log', listener: (record: LogRecord) => void): this;
  once(event: 'log', listener: (record: LogRecord) => void): this;
  off(event: 'log', listener: (record: LogRecord) => void): this;
  removeListener(event: 'log', listener: (record: LogRecord) => void): this;
  create(request: CreateRequest): Promise<Checkout>;
  createSync(request: CreateRequest): Checkout;
  get(checkoutId?: string, options?: { paymentIntentId?: string }): Promise<Checkout>;
  getSync(checkoutId?: string, options?: { paymentIntentId?: string }): Checkout;
  complete(request: CompleteRequest): Promise<Completion>;
  completeSync(request: CompleteRequest): Completion;
  redirectUrl(request: RedirectRequest): Promise<RedirectUrl>;
  redirectUrlSync(request: RedirectRequest): RedirectUrl;
  webComponentToken(checkoutId: string, options?: { idempotencyKey?: string }): Promise<WebComponentToken>;
  webComponentTokenSync(checkoutId: string, options?: { idempotencyKey?: string }): WebComponentToken;
  /**
   * Refunds a paid checkout, fully (no amount) or partly. Rejects with ConflictError (an unpaid
   * or, without amount, fully refunded checkout), InvalidRequestError (more than is refundable),
   * UnsupportedError (Payfect). JustiFi: the same idempotency_key and amount never refund twice;
   * ReCharge: read refunds() before refunding again after a pending refund or an error.
   */
  refund(request: RefundRequest): Promise<Refund>;
  refundSync(request: RefundRequest): Refund;
  refunds(checkoutId: string): Promise<Refunds>;
  refundsSync(checkoutId: string): Refunds;
  /** JustiFi only; too late (25 minutes) or unpaid rejects with ConflictError. */
  void(checkoutId: string, options?: { idempotencyKey?: string }): Promise<VoidResult>;
  voidSync(checkoutId: string, options?: { idempotencyKey?: string }): VoidResult;
  verifyWebhook(headers: WebhookRequestHeaders, body: Uint8Array | string): Promise<WebhookEvent>;
  verifyWebhookSync(headers: WebhookRequestHeaders, body: Uint8Array | string): WebhookEvent;
  /** Releases the handle; calls in flight still settle. Safe to call twice. */
  close(): void;
}

export function version(): string;

export class CheckoutError extends Error {
  status: number;
  code: string;
  provider: Provider | null;
  httpStatus: number | null;
  providerCode: string | null;
  retryable: boolean;
  requestId: string | null;
  idempotencyKey: string | null;
}
export class NullArgumentError extends CheckoutError {}
/** A call on a client after close(). */
export class ClientClosedError extends NullArgumentError {}
export class InvalidUtf8Error extends CheckoutError {}
export class InvalidJsonError extends CheckoutError {}
export class InvalidRequestError extends CheckoutError {}
export class ConfigError extends CheckoutError {}
export class UnsupportedError extends CheckoutError {}
export class AuthenticationError extends CheckoutError {}
export class NotFoundError extends CheckoutError {}
export class ConflictError extends CheckoutError {}
export class RateLimitedError extends CheckoutError {}
export class ProviderError extends CheckoutError {}
export class NetworkError extends CheckoutError {}
export class TimeoutError extends CheckoutError {}
export class SignatureError extends CheckoutError {}
export class InternalError extends CheckoutError {}
