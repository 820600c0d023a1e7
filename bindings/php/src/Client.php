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
 *
 * $config['logger'] (not sent to the library): a callable `fn(string $level, string $message,
 * array $context)` or a PSR-3-compatible object (anything with `log($level, $message, array
 * $context)`; psr/log is not required) receiving the library's log records (README "Logging";
 * docs/contract.md, "Logging"): `debug` per HTTP attempt, `info` for an attempt that will be
 * retried and an ambiguous outcome settled by a read (`confirmed_by`), `warning` for a failed
 * attempt or operation; the record's members are the context. Never a secret. They are given
 * to the logger on the calling thread once the library call has returned, before the result
 * (or the exception); an exception the logger throws becomes an E_USER_WARNING, never the
 * call's outcome.
 */
final class Client
{
    /** `CHECKOUT_LOG_DEFER_ASYNC` (include/storefront_checkout.h): this binding makes no
     * asynchronous call, so no record could ever come from another thread. */
    private const LOG_DEFER_ASYNC = 1;

    private \FFI $ffi;
    private ?\FFI\CData $handle;
    /** @var (callable(string, string, array<string, mixed>): mixed)|null */
    private $logger = null;
    /** The records the library gave during the running call, as JSON text. */
    private ?\ArrayObject $logs = null;

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        $logger = $config['logger'] ?? null;
        unset($config['logger']);
        if ($logger !== null) {
            $this->logger = self::loggerFrom($logger);
        }
        $this->ffi = Library::ffi();
        $handle = $this->ffi->new('CheckoutClient *');
        $out = $this->ffi->new('char *');
        $status = $this->ffi->checkout_client_new(self::encode($config), \FFI::addr($handle), \FFI::addr($out));
        $text = $this->take($out);
        if ($status !== 0) {
            throw CheckoutException::fromStatus($status, $text === null ? [] : self::decode($text));
        }
        $this->handle = $handle;
        if ($this->logger !== null) {
            $this->listen();
        }
    }

    /**
     * The logger as a callable; anything else is a ConfigException naming the key.
     *
     * @return callable(string, string, array<string, mixed>): mixed
     */
    private static function loggerFrom(mixed $logger): callable
    {
        if (is_object($logger) && !($logger instanceof \Closure) && method_exists($logger, 'log')) {
            return static fn (string $level, string $message, array $context) => $logger->log($level, $message, $context);
        }
        if (is_callable($logger)) {
            return $logger;
        }
        throw new ConfigException(['status' => 5, 'code' => 'config', 'message' =>
            'logger: must be a callable (string $level, string $message, array $context) or an object with a '
            . 'PSR-3 log($level, $message, array $context) method']);
    }

    /**
     * Gives the library a callback (an FFI closure) that keeps each record in a buffer, never
     * calling the logger from inside the library. The closure holds the buffer, not this
     * client, so the client is still destroyed (and its handle freed) when unreferenced; the
     * free clears the callback before it returns.
     */
    private function listen(): void
    {
        $logs = new \ArrayObject();
        $this->logs = $logs;
        $this->ffi->checkout_client_set_log_callback(
            $this->handle,
            // PHP FFI hands `const char *` over as a string (read up to its NUL); nothing here
            // may throw (PHP makes an exception in an FFI callback a fatal error).
            static function ($userData, $record) use ($logs): void {
                $logs[] = (string) $record;
            },
            null,
            self::LOG_DEFER_ASYNC,
        );
    }

    /** Gives the records of the call that just returned to the logger, oldest first. */
    private function emitLogs(): void
    {
        if ($this->logs === null || count($this->logs) === 0) {
            return;
        }
        $texts = $this->logs->getArrayCopy();
        $this->logs->exchangeArray([]);
        foreach ($texts as $text) {
            $record = json_decode($text, true);
            if (!is_array($record)) {
                continue;
            }
            try {
                ($this->logger)((string) ($record['level'] ?? 'warning'), self::logMessage($record), $record);
            } catch (\Throwable $e) {
                trigger_error('storefront-checkout: the logger threw ' . get_class($e) . ': ' . $e->getMessage(), E_USER_WARNING);
            }
        }
    }

    /**
     * A one-line summary of a record, for loggers that print only the message (no PSR-3
     * placeholders: the context holds every member).
     *
     * @param array<string, mixed> $r
     */
    private static function logMessage(array $r): string
    {
        $operation = $r['operation'] ?? '-';
        switch ($r['event'] ?? '') {
            case 'http_attempt':
                $text = sprintf('%s: %s %s -> %s in %.1f ms (attempt %d)', $operation, $r['method'], $r['path'],
                    $r['status'] ?? $r['error'], $r['ms'], $r['attempt']);
                return isset($r['retry_in_ms']) ? $text . ", retrying in {$r['retry_in_ms']} ms" : $text;
            case 'outcome_settled':
                return "{$operation}: outcome {$r['outcome']} confirmed by {$r['confirmed_by']} for {$r['checkout_id']}";
            case 'operation_failed':
                return "{$operation}: failed with {$r['error']} after {$r['attempts']} HTTP attempt(s)";
            default:
                return (string) ($r['event'] ?? 'log');
        }
    }

    /**
     * checkout_create: amount (minor units) or line_items, currency, description, URLs,
     * metadata, provider_options → the unified checkout.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    public function create(array $request): array
    {
        return $this->call('checkout_create', $request);
    }

    /**
     * checkout_get by checkout id, or (JustiFi session flow) by payment intent id.
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
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    public function complete(array $request): array
    {
        return $this->call('checkout_complete', $request);
    }

    /**
     * session_redirect_url → ['url' => ..., 'expires_at' => ...]: where to send the shopper.
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
        $this->emitLogs();
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
        $this->emitLogs();
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
