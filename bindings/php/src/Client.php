<?php

declare(strict_types=1);

namespace StorefrontCheckout;

/**
 * A checkout client for one provider, over the storefront-checkout shared library.
 *
 * $config is the configuration of docs/contract.md §5, e.g. ['provider' => 'justifi',
 * 'client_id' => ..., 'client_secret' => ..., 'sub_account' => ...]. Amounts are integers in
 * minor units (cents). Each call returns the result as an array, or throws a
 * CheckoutException subclass. Nested JSON objects that may be empty (metadata,
 * provider_options) are passed as arrays with keys or as `new \stdClass()`.
 */
final class Client
{
    private \FFI $ffi;
    private ?\FFI\CData $handle;

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        $this->ffi = Library::ffi();
        $handle = $this->ffi->new('CheckoutClient *');
        $out = $this->ffi->new('char *');
        $status = $this->ffi->checkout_client_new(self::encode($config), \FFI::addr($handle), \FFI::addr($out));
        $text = $this->take($out);
        if ($status !== 0) {
            throw CheckoutException::fromStatus($status, $text === null ? [] : self::decode($text));
        }
        $this->handle = $handle;
    }

    /**
     * checkout_create: amount (minor units) or line_items, currency, description, URLs,
     * metadata, provider_options → the unified checkout.
     *
     * The checkout: provider, id, status (open | complete | expired), payment_status (unpaid |
     * paid | failed | pending), amount, currency, description, redirect_url, created_at,
     * expires_at, client_reference_id, metadata, idempotency_key, provider_data, attempts
     * (docs/contract.md §7 "checkout_create"). An amount that is not an integer of minor
     * units throws InvalidRequestException.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    public function create(array $request): array
    {
        return $this->call('checkout_create', $request);
    }

    /**
     * checkout_get by checkout id, or (JustiFi session flow) by payment intent id → the
     * checkout, as create() returns it; NotFoundException for an unknown one.
     *
     * @return array<string, mixed>
     */
    public function get(?string $checkoutId = null, ?string $paymentIntentId = null): array
    {
        return $this->call('checkout_get', array_filter(
            ['checkout_id' => $checkoutId, 'payment_intent_id' => $paymentIntentId],
            static fn ($v) => $v !== null,
        ));
    }

    /**
     * checkout_complete: checkout_id, payment_token, idempotency_key, ... A declined card is
     * a result with payment_status "failed".
     *
     * The completion: provider, checkout_id, id, payment_status (succeeded | failed |
     * pending: pending_reason says what to do), payment_id, amount, currency, payment_error,
     * additional_transactions, idempotency_key, confirmed_by, pending_reason, provider_data,
     * attempts (docs/contract.md §7 "checkout_complete"). Payfect: UnsupportedException.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    public function complete(array $request): array
    {
        return $this->call('checkout_complete', $request);
    }

    /**
     * session_redirect_url → ['url' => ..., 'expires_at' => ...]: where to send the shopper.
     * Also payment_intent_id and idempotency_key (JustiFi's checkout-session flow),
     * provider_data and attempts.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    public function redirectUrl(array $request): array
    {
        return $this->call('session_redirect_url', $request);
    }

    /**
     * checkout_web_component_token (JustiFi) → ['access_token', 'expires_in', 'html', 'idempotency_key'];
     * $idempotencyKey to call again under an error's key.
     *
     * @return array<string, mixed>
     */
    public function webComponentToken(string $checkoutId, ?string $idempotencyKey = null): array
    {
        return $this->call('checkout_web_component_token', array_filter(
            ['checkout_id' => $checkoutId, 'idempotency_key' => $idempotencyKey],
            static fn ($v) => $v !== null,
        ));
    }

    /**
     * checkout_refund: refunds a paid checkout, fully or partly (docs/contract.md §7
     * "checkout_refund"). Several partial refunds may follow one another up to the amount paid.
     *
     * $request: `checkout_id` (the checkout's id, never a JustiFi payment intent's: the
     * hosted-session flow's payments have no checkout to refund); `amount` (int, minor units:
     * 500 for $5.00; absent, all that is still refundable, which the library reads first);
     * `idempotency_key` (JustiFi only; generated when absent and returned). `reason` and
     * `metadata` are refused (InvalidRequestException) by every provider so far: neither
     * JustiFi's RefundCheckout nor ReCharge's charge refund takes them.
     *
     * Never twice: calling again with the returned `idempotency_key` and the same `amount`
     * replays the first refund (JustiFi); ReCharge takes no key (passing one is an
     * InvalidRequestException) and a refund that may have reached it is never sent again by
     * the library: read refunds() before refunding again. A refund that ended ambiguously
     * and could not be settled by reading back is `status` `pending` with `pending_reason`
     * saying what to do; when it was settled by that read, `confirmed_by` is
     * `"checkout_refunds"`. A refund the provider recorded and refused is `status` `failed`
     * with `refund_error`.
     *
     * Errors (a CheckoutException subclass; `$e->idempotencyKey` carries the key of a call that
     * may have gone through): ConflictException (status 9) for an unpaid checkout, a fully
     * refunded one refunded without `amount`, or JustiFi's `payment_fully_refunded` /
     * `payment_outside_refund_window`; InvalidRequestException (4) for an `amount` above what
     * is refundable (with a caller's `idempotency_key`, JustiFi judges it, so that a call
     * again replays the first one: `providerCode` `refund_exceeds_amount_available` or
     * `refund_exceeds_payment_amount`) or a
     * field the provider does not take; UnsupportedException (6) for Payfect, which publishes
     * no refund; NotFoundException (8) for an unknown checkout; NetworkException (12),
     * TimeoutException (13), ProviderException (11), RateLimitedException (10) when the
     * provider could not be reached or read back (the refund may have gone through: call again
     * with `$e->idempotencyKey`, or read refunds() for ReCharge).
     *
     * @param array{checkout_id: string, amount?: int, idempotency_key?: string} $request
     * @return array{provider: string, id: ?string, checkout_id: string, payment_id: ?string,
     *     amount: int, currency: string, status: 'pending'|'succeeded'|'failed', reason: ?string,
     *     refund_error: ?array{code: ?string, message: ?string, decline_code?: string},
     *     idempotency_key: ?string, confirmed_by: ?string, pending_reason: ?string,
     *     created_at: ?string, provider_data: array<string, mixed>, attempts: int}
     */
    public function refund(array $request): array
    {
        return $this->call('checkout_refund', $request);
    }

    /**
     * checkout_refunds: a checkout's payment and what was refunded of it (docs/contract.md §7
     * "checkout_refunds"). Amounts in minor units. An unpaid checkout reads `payment_id` null
     * and zeros. ReCharge gives only the total refunded (`refunds` is empty); JustiFi lists
     * the payment's refunds. Errors: NotFoundException for an unknown checkout,
     * UnsupportedException for Payfect, the network and provider classes as for get().
     *
     * @return array{provider: string, checkout_id: string, payment_id: ?string, currency: string,
     *     amount_paid: int, amount_refunded: int, amount_refundable: int,
     *     refunds: list<array{id: ?string, amount: int, status: 'pending'|'succeeded'|'failed',
     *     reason: ?string, created_at: ?string}>, provider_data: array<string, mixed>, attempts: int}
     */
    public function refunds(string $checkoutId): array
    {
        return $this->call('checkout_refunds', ['checkout_id' => $checkoutId]);
    }

    /**
     * checkout_void (JustiFi only): voids a paid checkout's card payment before it settles
     * (JustiFi's VoidPayment: "voidable within 25 minutes of the original transaction", cards
     * only; docs/contract.md §7 "checkout_void"). $idempotencyKey: generated when absent and
     * returned; calling again with it never voids twice.
     *
     * Errors: ConflictException (status 9) for an unpaid checkout or too late
     * (`providerCode` `payment_outside_void_window`: refund instead); UnsupportedException (6)
     * for ReCharge and Payfect; the network and provider classes as for refund().
     *
     * @return array{provider: string, checkout_id: string, payment_id: string, status: 'voided',
     *     idempotency_key: ?string, provider_data: array<string, mixed>, attempts: int}
     */
    public function void(string $checkoutId, ?string $idempotencyKey = null): array
    {
        return $this->call('checkout_void', array_filter(
            ['checkout_id' => $checkoutId, 'idempotency_key' => $idempotencyKey],
            static fn ($v) => $v !== null,
        ));
    }

    /**
     * checkout_webhook_verify: checks a delivery's signature against the configured
     * webhook_secrets and returns the normalized event (type: the unified payment.succeeded |
     * payment.failed | checkout.completed | refund.created | refund.updated | other; provider_type,
     * object_id, checkout_id, payment_status, unsigned_topic, refund, data; docs/contract.md
     * "Event types"). $headers maps header names (any case) to values; $body is the
     * raw request body (file_get_contents('php://input')). A failed check throws
     * SignatureException saying which.
     *
     * The event: provider, event_id, type, provider_type, object_id, checkout_id,
     * payment_status, unsigned_topic, refund, data. Act on type, finding the order by
     * checkout_id, else object_id; deduplicate on event_id (providers retry deliveries):
     * - payment.succeeded: a payment was taken, the order is paid;
     * - payment.failed: a payment attempt failed, the order stays unpaid;
     * - checkout.completed: the checkout is paid and closed, the order is paid;
     * - refund.created: a refund was made; refund (id, payment_id, amount, amount_refunded,
     *   status) says what;
     * - refund.updated: a refund changed; refund says what it is now;
     * - other: nothing an order acts on.
     *
     * @param array<string, string|list<string>> $headers
     * @return array<string, mixed>
     */
    public function verifyWebhook(array $headers, string $body): array
    {
        if ($this->handle === null) {
            throw new ClientClosedException();
        }
        $length = strlen($body);
        $buffer = $this->ffi->new('uint8_t[' . max(1, $length) . ']');
        \FFI::memcpy($buffer, $body, $length);
        $out = $this->ffi->new('char *');
        $status = $this->ffi->checkout_webhook_verify($this->handle, self::encode($headers), $buffer, $length, \FFI::addr($out));
        $text = $this->take($out);
        $result = $text === null ? [] : self::decode($text);
        if ($status !== 0) {
            throw CheckoutException::fromStatus($status, $result);
        }
        return $result;
    }

    /** Releases the handle; safe to call twice. Calls after it throw ClientClosedException. */
    public function close(): void
    {
        if ($this->handle !== null) {
            $this->ffi->checkout_client_free($this->handle);
            $this->handle = null;
        }
    }

    public function __destruct()
    {
        $this->close();
    }

    /**
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    private function call(string $function, array $request): array
    {
        if ($this->handle === null) {
            throw new ClientClosedException();
        }
        $out = $this->ffi->new('char *');
        $status = $this->ffi->$function($this->handle, self::encode($request), \FFI::addr($out));
        $text = $this->take($out);
        $body = $text === null ? [] : self::decode($text);
        if ($status !== 0) {
            throw CheckoutException::fromStatus($status, $body);
        }
        return $body;
    }

    /** The text of an owned char *, which is then freed with checkout_string_free. */
    private function take(\FFI\CData $out): ?string
    {
        if (\FFI::isNull($out)) {
            return null;
        }
        try {
            return \FFI::string($out);
        } finally {
            $this->ffi->checkout_string_free($out);
        }
    }

    /**
     * The request as JSON. A float stays a float (JSON_PRESERVE_ZERO_FRACTION): PHP writes
     * 5.00 as `5` otherwise, which the library would take as 5 minor units, so that
     * `'amount' => 5.00` meant as dollars would charge or refund 5 cents; as `5.0` it is the
     * InvalidRequestException an amount in major units gets.
     *
     * @param array<string, mixed> $value
     */
    private static function encode(array $value): string
    {
        return json_encode($value === [] ? new \stdClass() : $value,
            JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
    }

    /**
     * The library's JSON output; output that does not decode (a library bug) is an
     * InternalException, as every failure of a call is a CheckoutException.
     *
     * @return array<string, mixed>
     */
    private static function decode(string $text): array
    {
        try {
            $value = json_decode($text, true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new InternalException(['status' => 99, 'code' => 'internal',
                'message' => "the library's output could not be read ({$e->getMessage()})"]);
        }
        return is_array($value) ? $value : [];
    }
}
