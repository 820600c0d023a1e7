<?php

declare(strict_types=1);

namespace StorefrontCheckout;

/**
 * A failed call: one subclass per status code of the C ABI (docs/contract.md §4).
 *
 * getCode() is the status; getMessage() names the offending field where there is one.
 * $errorCode is the status's snake_case name; $httpStatus, $providerCode and $requestId
 * describe the provider's answer when there was one; $retryable says whether the same call
 * (with the same $idempotencyKey) may succeed.
 */
class CheckoutException extends \RuntimeException
{
    /** The C status code, also getCode(). */
    public readonly int $status;
    /** The status's snake_case name, e.g. 'invalid_request'. */
    public readonly string $errorCode;
    /** The provider (justifi, recharge, payfect), when known. */
    public readonly ?string $provider;
    /** The HTTP status of the provider's answer, when there was one. */
    public readonly ?int $httpStatus;
    /** The provider's own error code, when it gave one. */
    public readonly ?string $providerCode;
    /** Whether the same call (with the same $idempotencyKey) may succeed. */
    public readonly bool $retryable;
    /** The request id of the provider's answer, when it gave one. */
    public readonly ?string $requestId;
    /** The key the call was sent under: call again with it (the call may have gone through). */
    public readonly ?string $idempotencyKey;

    /** @param array<string, mixed> $error the library's error object */
    public function __construct(array $error)
    {
        $this->status = (int) ($error['status'] ?? 99);
        $this->errorCode = (string) ($error['code'] ?? 'internal');
        $this->provider = $error['provider'] ?? null;
        $this->httpStatus = isset($error['http_status']) ? (int) $error['http_status'] : null;
        $this->providerCode = $error['provider_code'] ?? null;
        $this->retryable = (bool) ($error['retryable'] ?? false);
        $this->requestId = $error['request_id'] ?? null;
        $this->idempotencyKey = $error['idempotency_key'] ?? null;
        parent::__construct((string) ($error['message'] ?? ''), $this->status);
    }

    /**
     * The exception for a non-zero status and the library's {"error": {...}} object.
     *
     * @param array<string, mixed> $body
     */
    public static function fromStatus(int $status, array $body): self
    {
        $error = ($body['error'] ?? []) + ['status' => $status];
        $class = [
            1 => NullArgumentException::class,
            2 => InvalidUtf8Exception::class,
            3 => InvalidJsonException::class,
            4 => InvalidRequestException::class,
            5 => ConfigException::class,
            6 => UnsupportedException::class,
            7 => AuthenticationException::class,
            8 => NotFoundException::class,
            9 => ConflictException::class,
            10 => RateLimitedException::class,
            11 => ProviderException::class,
            12 => NetworkException::class,
            13 => TimeoutException::class,
            14 => SignatureException::class,
            99 => InternalException::class,
        ][$status] ?? self::class;
        return new $class($error);
    }
}

/** Status 1: a required pointer was NULL (a bug in this binding if it happens). */
class NullArgumentException extends CheckoutException {}

/** A call on a client after close() (status 1: its handle is gone). */
final class ClientClosedException extends NullArgumentException
{
    public function __construct()
    {
        parent::__construct(['status' => 1, 'code' => 'null_argument', 'message' => 'client: the client is closed']);
    }
}
/** Status 2: a string was not UTF-8. */
class InvalidUtf8Exception extends CheckoutException {}
/** Status 3: a request was not a JSON object. */
class InvalidJsonException extends CheckoutException {}
/** Status 4: a field is missing, unknown, of the wrong type or out of range. */
class InvalidRequestException extends CheckoutException {}
/** Status 5: the client configuration is invalid. */
class ConfigException extends CheckoutException {}
/** Status 6: the provider has no such operation. */
class UnsupportedException extends CheckoutException {}
/** Status 7: the provider refused the credentials. */
class AuthenticationException extends CheckoutException {}
/** Status 8: the provider has no such object. */
class NotFoundException extends CheckoutException {}
/** Status 9: already processed, an idempotency conflict, or a concurrent call. */
class ConflictException extends CheckoutException {}
/** Status 10: the provider kept answering 429. */
class RateLimitedException extends CheckoutException {}
/** Status 11: any other refusal, or a 5xx, from the provider. */
class ProviderException extends CheckoutException {}
/** Status 12: connect, DNS, TLS, reset or malformed HTTP. */
class NetworkException extends CheckoutException {}
/** Status 13: a deadline passed. */
class TimeoutException extends CheckoutException {}
/** Status 14: a webhook signature is missing, wrong or outside the tolerance. */
class SignatureException extends CheckoutException {}
/** Status 99: a bug in the library (a caught panic). */
class InternalException extends CheckoutException {}
