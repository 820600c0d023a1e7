// Types for storefront-checkout (docs/contract.md). Amounts are integers in minor units, as
// Numbers: a BigInt anywhere in a request is an InvalidRequestError (a ConfigError in a
// configuration) naming the field, as JSON has no BigInt.

export type Provider = 'justifi' | 'recharge' | 'payfect';

export interface Config {
  provider: Provider;
  base_url?: string;
  hosted_base_url?: string;
  timeout_ms?: number;
  connect_timeout_ms?: number;
  max_retries?: number;
  webhook_secrets?: string[];
  webhook_tolerance_s?: number;
  client_id?: string;
  client_secret?: string;
  sub_account?: string;
  api_token?: string;
  api_version?: '2021-01' | '2021-11';
  store_domain?: string;
  /** ReCharge: accept deliveries signed only with the legacy X-Recharge-Hmac-Sha256 (no timestamp). */
  accept_legacy_webhook_signature?: boolean;
  api_key?: string;
  /** Milliseconds for the whole call, retries and waits included (a wait in the max_in_flight queue too). */
  deadline_ms?: number;
  /**
   * How many Promise-returning calls of this client run at once, each on one of the library's
   * own I/O threads (default 512, 1 to 10000); the next wait in the library's queue.
   */
  max_in_flight?: number;
  /** One JSON line per HTTP attempt on stderr; never a secret. */
  log?: boolean;
  ca_bundle_path?: string;
  proxy?: string;
}

export interface LineItem {
  name: string;
  description?: string;
  unit_amount: number;
  quantity: number;
  product_id?: string | number;
  variant_id?: string | number;
  image_url?: string;
  subscription?: { interval_unit: 'day' | 'week' | 'month'; interval_frequency: number; charge_interval_frequency?: number };
}

export interface CreateRequest {
  amount?: number;
  currency?: string;
  description?: string;
  line_items?: LineItem[];
  success_url?: string;
  cancel_url?: string;
  callback_url?: string;
  origin_url?: string;
  client_reference_id?: string;
  email?: string;
  metadata?: Record<string, unknown>;
  provider_options?: Record<string, unknown>;
  /** JustiFi: the key to create under (an error's key, to call again with). */
  idempotency_key?: string;
}

export interface Checkout {
  provider: Provider;
  id: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid' | 'failed' | 'pending';
  amount: number;
  currency: string;
  description: string | null;
  redirect_url: string | null;
  created_at: string | null;
  expires_at: string | null;
  client_reference_id: string | null;
  metadata: Record<string, unknown>;
  /** The key checkout_create sent (JustiFi); null otherwise. */
  idempotency_key: string | null;
  provider_data: Record<string, unknown>;
}

export interface CompleteRequest {
  checkout_id: string;
  payment_token: string;
  payment_mode?: 'ecom' | 'bnpl' | 'card_present';
  payment_processor?: string;
  payment_type?: string;
  idempotency_key?: string;
}

export interface Completion {
  provider: Provider;
  checkout_id: string;
  id: string | null;
  payment_status: 'succeeded' | 'failed' | 'pending';
  payment_id: string | null;
  amount: number | null;
  currency: string | null;
  payment_error: { code: string | null; message: string | null; decline_code?: string } | null;
  additional_transactions: unknown[];
  idempotency_key: string | null;
  /** 'checkout_get' when an ambiguous payment call was settled by reading the checkout. */
  confirmed_by: 'checkout_get' | null;
  /** Why a pending payment is pending, and what to do next. */
  pending_reason: string | null;
  provider_data: Record<string, unknown>;
}

export interface RedirectRequest {
  checkout_id?: string;
  payment_intent_id?: string;
  amount?: number;
  currency?: string;
  description?: string;
  success_url?: string;
  cancel_url?: string;
  /** The key of the payment intent a checkout session creates; an error's key, to call again with. */
  idempotency_key?: string;
}

export interface RedirectUrl {
  url: string;
  expires_at: string | null;
  payment_intent_id?: string;
  provider_data: Record<string, unknown>;
  /** The key of the payment intent a checkout session created. */
  idempotency_key?: string;
}

export interface WebComponentToken {
  access_token: string;
  expires_in: number;
  html: string;
  idempotency_key: string;
}

export interface RefundRequest {
  checkout_id: string;
  /** Minor units (500 refunds 5.00 USD); absent: all that is still refundable. */
  amount?: number;
  /** Where the provider takes it (neither JustiFi nor ReCharge does: an InvalidRequestError). */
  reason?: string;
  /** Where the provider takes it (neither JustiFi nor ReCharge does: an InvalidRequestError). */
  metadata?: Record<string, unknown>;
  /**
   * JustiFi: the key to refund under (generated and returned when absent); calling again with
   * the same key and amount never refunds twice. ReCharge takes none (an InvalidRequestError).
   */
  idempotency_key?: string;
}

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** The result of refund() (docs/contract.md, "checkout_refund"). */
export interface Refund {
  provider: Provider;
  /** The provider's id of the refund, when it gives one. */
  id: string | null;
  checkout_id: string;
  /** The refunded payment: JustiFi's payment, ReCharge's charge. */
  payment_id: string | null;
  /** Minor units. */
  amount: number;
  currency: string;
  /** 'failed': recorded and refused by the provider (refund_error says why). */
  status: RefundStatus;
  reason: string | null;
  refund_error: { code: string | null; message: string | null; decline_code?: string } | null;
  /** The key the refund was sent under (JustiFi); null where the provider has no keys. */
  idempotency_key: string | null;
  /** 'checkout_refunds' when an ambiguous refund call was settled by reading the payment back. */
  confirmed_by: 'checkout_refunds' | null;
  /** Why a pending refund is pending, and what to do next. */
  pending_reason: string | null;
  /** RFC 3339 UTC, when known. */
  created_at: string | null;
  provider_data: Record<string, unknown>;
  /** The HTTP requests the call sent. */
  attempts: number;
}

/** One refund of a payment, as refunds() lists it. */
export interface RefundSummary {
  id: string | null;
  /** Minor units. */
  amount: number;
  status: RefundStatus;
  reason: string | null;
  created_at: string | null;
}

/** The result of refunds(): the checkout's payment and what was refunded of it, in minor units. */
export interface Refunds {
  provider: Provider;
  checkout_id: string;
  /** Null (and the amounts 0) while the checkout is unpaid. */
  payment_id: string | null;
  currency: string;
  amount_paid: number;
  amount_refunded: number;
  amount_refundable: number;
  /** Empty where the provider gives only the total (ReCharge). */
  refunds: RefundSummary[];
  provider_data: Record<string, unknown>;
  attempts: number;
}

/** The result of void() (JustiFi only). */
export interface Void {
  provider: Provider;
  checkout_id: string;
  payment_id: string;
  status: 'voided';
  idempotency_key: string | null;
  provider_data: Record<string, unknown>;
  attempts: number;
}

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
  void(checkoutId: string, options?: { idempotencyKey?: string }): Promise<Void>;
  voidSync(checkoutId: string, options?: { idempotencyKey?: string }): Void;
  verifyWebhook(headers: Record<string, string | string[]>, body: Uint8Array | string): Promise<WebhookEvent>;
  verifyWebhookSync(headers: Record<string, string | string[]>, body: Uint8Array | string): WebhookEvent;
  /** Releases the handle; calls in flight still settle. Safe to call twice. */
  close(): void;
}

/** The unified event type, the same words for every provider (docs/contract.md, "Event types"). */
export type WebhookEventType =
  | 'payment.succeeded'
  | 'payment.failed'
  | 'checkout.completed'
  | 'refund.created'
  | 'refund.updated'
  | 'other';

/** A refund as a webhook reports it (amounts in minor units). */
export interface WebhookRefund {
  /** JustiFi's refund id; null for ReCharge, which numbers no refunds. */
  id: string | null;
  /** The refunded payment: JustiFi's payment, ReCharge's charge. */
  payment_id: string | null;
  /** This refund's amount (JustiFi); null where the event gives only a total. */
  amount: number | null;
  /** Everything refunded of the payment so far (ReCharge); null where the event does not say. */
  amount_refunded: number | null;
  status: 'pending' | 'succeeded' | 'failed' | null;
}

export interface WebhookEvent {
  provider: Provider;
  event_id: string | null;
  /** What the event means for an order; act on this. */
  type: WebhookEventType;
  /** The provider's own name: JustiFi's event_name, ReCharge's payload object; null for Payfect. */
  provider_type: string | null;
  object_id: string | null;
  checkout_id: string | null;
  /** 'succeeded' for payment.succeeded and checkout.completed, 'failed' for payment.failed. */
  payment_status: 'succeeded' | 'failed' | null;
  /** ReCharge's X-Recharge-Topic as received: outside the signature, so it decides nothing. */
  unsigned_topic: string | null;
  /** Set for refund.created and refund.updated. */
  refund: WebhookRefund | null;
  data: Record<string, unknown>;
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
