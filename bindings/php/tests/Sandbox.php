<?php

declare(strict_types=1);

namespace StorefrontCheckout\Tests;

/** The sandbox binary on a free loopback port, for the test run. */
final class Sandbox
{
    private static ?string $url = null;
    /** @var resource|null */
    private static $process = null;

    /**
     * A JustiFi client configuration for the sandbox, with its test credentials.
     *
     * @return array<string, string>
     */
    public static function justifiConfig(): array
    {
        $base = self::url();
        return [
            'provider' => 'justifi', 'base_url' => $base, 'hosted_base_url' => $base,
            'client_id' => 'test_sandbox_client_id', 'client_secret' => 'test_sandbox_client_secret',
            'sub_account' => 'acc_5Et9iXrSSAZR2KSouQGAWi',
        ];
    }

    public static function url(): string
    {
        if (self::$url === null) {
            $bin = getenv('CHECKOUT_SANDBOX_BIN') ?: dirname(__DIR__, 3) . '/target/debug/checkout-sandbox';
            self::$process = proc_open([$bin, '--port', '0'], [1 => ['pipe', 'w']], $pipes);
            $line = trim((string) fgets($pipes[1]));
            if (!str_starts_with($line, 'checkout-sandbox listening on ')) {
                throw new \RuntimeException("the sandbox did not start: $line");
            }
            self::$url = substr($line, strlen('checkout-sandbox listening on '));
            register_shutdown_function(static function (): void {
                proc_terminate(self::$process);
            });
        }
        return self::$url;
    }

    /**
     * A request to the sandbox, as a browser would send it; redirects are not followed.
     *
     * @return array{int, mixed}
     */
    public static function http(string $method, string $url, ?array $body = null, array $headers = []): array
    {
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => array_merge(['Content-Type: application/json'], $headers),
            'content' => $body === null ? '' : json_encode($body),
            'ignore_errors' => true,
            'follow_location' => 0,
        ]]);
        $text = file_get_contents($url, false, $context);
        preg_match('{HTTP/\S+ (\d+)}', $http_response_header[0], $m);
        return [(int) $m[1], json_decode((string) $text, true)];
    }

    /** Tokenizes a test card, as JustiFi's web component does: pm_... */
    public static function tokenize(string $number = '4242424242424242'): string
    {
        [, $grant] = self::http('POST', self::url() . '/oauth/token',
            ['client_id' => 'test_sandbox_client_id', 'client_secret' => 'test_sandbox_client_secret']);
        [$status, $pm] = self::http('POST', self::url() . '/v1/payment_methods',
            ['payment_method' => ['card' => ['number' => $number]]],
            ['Authorization: Bearer ' . $grant['access_token'], 'Sub-Account: acc_5Et9iXrSSAZR2KSouQGAWi']);
        if ($status !== 201) {
            throw new \RuntimeException('tokenizing failed: ' . json_encode($pm));
        }
        return $pm['data']['id'];
    }
}
