<?php

declare(strict_types=1);

namespace StorefrontCheckout\Tests;

use PHPUnit\Framework\TestCase;
use StorefrontCheckout\Client;
use StorefrontCheckout\ConfigException;
use StorefrontCheckout\NotFoundException;

/**
 * A PSR-3-style object with no dependency on psr/log: what the `logger` entry duck-types.
 */
final class CollectingLogger
{
    /** @var list<array{string, string, array<string, mixed>}> */
    public array $entries = [];

    /** @param array<string, mixed> $context */
    public function log($level, $message, array $context = []): void
    {
        $this->entries[] = [(string) $level, (string) $message, $context];
    }
}

/**
 * The library's log records in a PHP logger (README "Logging"): given on the calling thread
 * after each call, at their levels, with the record as the context; never a secret.
 */
final class LoggingTest extends TestCase
{
    private const SECRETS = ['test_sandbox_client_secret', 'test_recharge_token', 'Bearer', '4242424242424242', '"tok_'];

    private static function justifi(array $extra = []): Client
    {
        return new Client($extra + Sandbox::justifiConfig());
    }

    /** @param list<array{string, string, array<string, mixed>}> $entries */
    private function assertClean(array $entries, string ...$more): void
    {
        foreach ($entries as $entry) {
            $text = json_encode($entry);
            foreach ([...self::SECRETS, ...$more] as $secret) {
                $this->assertStringNotContainsString($secret, $text);
            }
        }
    }

    public function testAPsr3StyleObjectGetsEveryAttemptAndTheFailure(): void
    {
        $logger = new CollectingLogger();
        $client = self::justifi(['logger' => $logger]);
        $card = Sandbox::tokenize();
        $checkout = $client->create(['amount' => 1799, 'description' => 'One Chocolate Donut']);
        $this->assertCount($checkout['attempts'], $logger->entries, 'given before create() returned');
        $done = $client->complete(['checkout_id' => $checkout['id'], 'payment_token' => $card, 'idempotency_key' => 'php-log-1']);
        try {
            $client->get('cho_missing');
            $this->fail('no NotFoundException');
        } catch (NotFoundException) {
        }
        $attempts = array_values(array_filter($logger->entries, static fn ($e) => $e[2]['event'] === 'http_attempt'));
        $this->assertCount($checkout['attempts'] + $done['attempts'] + 1, $attempts);
        foreach ($attempts as [$level, $message, $context]) {
            $this->assertSame('debug', $level);
            $this->assertSame($context['level'], $level);
            $this->assertStringStartsWith("{$context['operation']}: {$context['method']} {$context['path']} -> ", $message);
        }
        $complete = array_values(array_filter($attempts, static fn ($e) => $e[2]['operation'] === 'checkout_complete'))[0][2];
        $this->assertSame(['POST', 201, 'php-log-1'], [$complete['method'], $complete['status'], $complete['idempotency_key']]);
        [$level, $message, $context] = end($logger->entries);
        $this->assertSame(['warning', 'operation_failed', 'not_found', 404],
            [$level, $context['event'], $context['error'], $context['http_status']]);
        $this->assertSame('checkout_get: failed with not_found after 1 HTTP attempt(s)', $message);
        $this->assertClean($logger->entries, $card);
    }

    public function testACallableGetsRetriesAndSettledOutcomesAtInfo(): void
    {
        $entries = [];
        $logger = static function (string $level, string $message, array $context) use (&$entries): void {
            $entries[] = [$level, $message, $context];
        };
        $client = self::justifi(['logger' => $logger]);
        $client->create(['amount' => 1799, 'description' => 'warm-up']);
        $entries = [];
        Sandbox::http('POST', Sandbox::url() . '/__sandbox/faults', ['route' => 'POST /v1/checkouts', 'status' => 503, 'times' => 1]);
        $client->create(['amount' => 1799, 'description' => 'retried']);
        $this->assertSame([['info', 503, 1], ['debug', 201, 2]],
            array_map(static fn ($e) => [$e[0], $e[2]['status'], $e[2]['attempt']], $entries));
        $this->assertStringContainsString('retrying in', $entries[0][1]);

        $base = Sandbox::url();
        $recharge = new Client(['provider' => 'recharge', 'base_url' => $base, 'hosted_base_url' => $base,
            'api_token' => 'test_recharge_token', 'timeout_ms' => 200, 'logger' => $logger]);
        $checkout = $recharge->create(['provider_options' => ['line_items' => [[
            'charge_interval_frequency' => 5, 'order_interval_frequency' => 5, 'order_interval_unit' => 'day',
            'product_id' => 1255183683, 'variant_id' => 3844924611, 'quantity' => 6,
        ]]]]);
        Sandbox::http('POST', $base . '/__sandbox/faults', ['route' => 'POST /checkouts/{token}/charge', 'reset' => true, 'after' => true]);
        $entries = [];
        $done = $recharge->complete(['checkout_id' => $checkout['id'], 'payment_token' => 'tok_visa']);
        $settled = array_values(array_filter($entries, static fn ($e) => $e[2]['event'] === 'outcome_settled'));
        $this->assertSame([['info', 'checkout_get', $checkout['id'], $done['payment_status']]],
            array_map(static fn ($e) => [$e[0], $e[2]['confirmed_by'], $e[2]['checkout_id'], $e[2]['outcome']], $settled));
        $this->assertClean($entries);
    }

    public function testALoggerThatThrowsNeverTakesTheResult(): void
    {
        $client = self::justifi(['logger' => static function (): void {
            throw new \RuntimeException('the log is full');
        }]);
        $warnings = [];
        set_error_handler(static function (int $no, string $text) use (&$warnings): bool {
            $warnings[] = $text;
            return true;
        }, E_USER_WARNING);
        try {
            $checkout = $client->create(['amount' => 1799, 'description' => 'still made']);
        } finally {
            restore_error_handler();
        }
        $this->assertStringStartsWith('cho_', $checkout['id']);
        $this->assertStringContainsString('the logger threw RuntimeException: the log is full', $warnings[0]);
    }

    public function testALoggerThatIsNeitherIsAConfigException(): void
    {
        $this->expectException(ConfigException::class);
        $this->expectExceptionMessage('logger: must be a callable');
        self::justifi(['logger' => 'not a function name']);
    }

    /**
     * A long-running worker (a queue consumer, a CLI daemon) making a client with a logger per
     * job: PHP FFI keeps every closure it turns into a C callback until the request ends, so a
     * callback per client grew memory by about 1.2 KB per client; the process shares one.
     */
    public function testClientsWithALoggerShareOneCallback(): void
    {
        $make = static function (): void {
            for ($i = 0; $i < 2000; $i++) {
                $client = self::justifi(['logger' => static fn (string $l, string $m, array $c) => null]);
                $client->close();
            }
        };
        $make();
        gc_collect_cycles();
        $before = memory_get_usage();
        $make();
        gc_collect_cycles();
        $grown = memory_get_usage() - $before;
        $this->assertLessThan(200_000, $grown, "2000 clients with a logger kept {$grown} bytes");
    }

    public function testWithoutALoggerNothingIsRegistered(): void
    {
        $client = self::justifi();
        $this->assertStringStartsWith('cho_', $client->create(['amount' => 1799, 'description' => 'quiet'])['id']);
    }
}
