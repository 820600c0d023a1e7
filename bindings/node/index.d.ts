/**
 * Types for storefront-checkout (docs/contract.md). Amounts are integers in minor units, as
 * Numbers: a BigInt anywhere in a request is an InvalidRequestError (a ConfigError in a
 * configuration) naming the field, as JSON has no BigInt.
 * @packageDocumentation
 */

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
export class Client {
  /** Throws ConfigError for an invalid configuration (docs/contract.md §5). */
  constructor(config: Config);
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
  void(checkoutId: string, options?: { idempotencyKey?: string }): Promise<Void>;
  /** void(), blocking the caller. */
  voidSync(checkoutId: string, options?: { idempotencyKey?: string }): Void;
  /**
   * checkout_webhook_verify: checks a delivery's signature against the configured
   * webhook_secrets and returns the event; act on its `type` (WebhookEventType). `body` must
   * be the raw bytes as received, never re-serialized JSON. A failed check rejects with
   * SignatureError saying which.
   */
  verifyWebhook(headers: Record<string, string | string[]>, body: Uint8Array | string): Promise<WebhookEvent>;
  /** verifyWebhook() returning the event itself: both run on the caller's thread (an HMAC, no I/O). */
  verifyWebhookSync(headers: Record<string, string | string[]>, body: Uint8Array | string): WebhookEvent;
  /** Releases the handle; calls in flight still settle. Safe to call twice. */
  close(): void;
}

/**
 * The unified event type, the same words for every provider (docs/contract.md, "Event types").
 * Find the order by checkout_id, else object_id:
 * - `payment.succeeded`: a payment was taken, the order is paid;
 * - `payment.failed`: a payment attempt failed, the order stays unpaid;
 * - `checkout.completed`: the checkout is paid and closed, the order is paid;
 * - `refund.created`: a refund was made; `refund` says what;
 * - `refund.updated`: a refund changed; `refund` says what it is now;
 * - `other`: nothing an order acts on.
 */
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
