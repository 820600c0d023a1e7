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

    /** @param array<string, mixed> $value */
    private static function encode(array $value): string
    {
        return json_encode($value === [] ? new \stdClass() : $value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
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
