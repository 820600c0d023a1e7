<?php

declare(strict_types=1);

namespace StorefrontCheckout\Tests;

use PHPUnit\Framework\TestCase;
use StorefrontCheckout\AuthenticationException;
use StorefrontCheckout\CheckoutException;
use StorefrontCheckout\ClientClosedException;
use StorefrontCheckout\Client;
use StorefrontCheckout\ConfigException;
use StorefrontCheckout\ConflictException;
use StorefrontCheckout\InternalException;
use StorefrontCheckout\InvalidRequestException;
use StorefrontCheckout\Library;
use StorefrontCheckout\NetworkException;
use StorefrontCheckout\NotFoundException;
use StorefrontCheckout\RateLimitedException;
use StorefrontCheckout\TimeoutException;
use StorefrontCheckout\UnsupportedException;

/** The PHP binding against the sandbox binary: every call, every error class, memory. */
final class ClientTest extends TestCase
{
    private const SEED_002 = ['line_items' => [[
        'charge_interval_frequency' => 5, 'order_interval_frequency' => 5, 'order_interval_unit' => 'day',
        'product_id' => 1255183683, 'variant_id' => 3844924611, 'quantity' => 6,
    ]]];

    private static function justifi(array $extra = []): Client
    {
        return new Client($extra + Sandbox::justifiConfig());
    }

    private static function recharge(array $extra = []): Client
    {
        $base = Sandbox::url();
        return new Client($extra + ['provider' => 'recharge', 'base_url' => $base, 'hosted_base_url' => $base,
            'api_token' => 'test_recharge_token']);
    }

    private static function donut(Client $client): array
    {
        return $client->create(['amount' => 1799, 'description' => 'One Chocolate Donut',
            'origin_url' => 'http://localhost:3000']);
    }

    public function testVersion(): void
    {
        $this->assertSame('0.1.0', Library::version());
    }

    public function testTheHeaderLosesOnlyPreprocessorLines(): void
    {
        $decls = Library::declarations((string) file_get_contents(dirname(__DIR__, 3) . '/include/storefront_checkout.h'));
        $this->assertStringNotContainsString('#', $decls);
        $this->assertStringNotContainsString('extern "C"', $decls);
        $this->assertStringContainsString('int32_t checkout_create(', $decls);
        foreach (['checkout_refund', 'checkout_refunds', 'checkout_void'] as $function) {
            $this->assertStringContainsString("int32_t $function(const struct CheckoutClient *client,", $decls);
        }
    }

    public function testJustifiFlow(): void
    {
        $client = self::justifi();
        $checkout = self::donut($client);
        $this->assertStringStartsWith('cho_', $checkout['id']);
        $this->assertSame([1799, 'usd', 'open'], [$checkout['amount'], $checkout['currency'], $checkout['status']]);
        $this->assertSame($checkout['id'], $client->get($checkout['id'])['id']);
        $this->assertStringStartsWith('<justifi-checkout auth-token="', $client->webComponentToken($checkout['id'])['html']);
        $page = $client->redirectUrl(['checkout_id' => $checkout['id'], 'success_url' => 'https://shop.test/ok']);
        $this->assertStringStartsWith(Sandbox::url() . '/hosted-checkout/' . $checkout['id'], $page['url']);
        $request = ['checkout_id' => $checkout['id'], 'payment_token' => Sandbox::tokenize(), 'idempotency_key' => 'php-1'];
        $done = $client->complete($request);
        $this->assertSame(['succeeded', 'php-1'], [$done['payment_status'], $done['idempotency_key']]);
        $this->assertSame($done['id'], $client->complete($request)['id'], 'the same key replays the completion');
        $this->assertSame('paid', $client->get($checkout['id'])['payment_status']);
    }

    public function testADeclineIsAResult(): void
    {
        $client = self::justifi();
        $declined = $client->complete(['checkout_id' => self::donut($client)['id'],
            'payment_token' => Sandbox::tokenize('4000000000009995')]);
        $this->assertSame('failed', $declined['payment_status']);
        $this->assertSame('insufficient_funds', $declined['payment_error']['decline_code']);
    }

    public function testSessionFlow(): void
    {
        $client = self::justifi();
        $session = $client->redirectUrl(['amount' => 500, 'success_url' => 'https://shop.test/ok']);
        $this->assertStringContainsString('/r/', $session['url']);
        $this->assertSame('unpaid', $client->get(paymentIntentId: $session['payment_intent_id'])['payment_status']);
    }

    public function testRechargeAndPayfectFlows(): void
    {
        $recharge = self::recharge();
        $checkout = $recharge->create(['provider_options' => self::SEED_002]);
        $this->assertSame(6000, $checkout['amount']);
        $this->assertSame('succeeded', $recharge->complete(['checkout_id' => $checkout['id'], 'payment_token' => 'tok_visa'])['payment_status']);

        $payfect = new Client(['provider' => 'payfect', 'base_url' => Sandbox::url(), 'api_key' => 'test_payfect_key']);
        $crypto = $payfect->create(['amount' => 2050, 'currency' => 'usdt', 'description' => 'Standard Plan']);
        $url = $payfect->redirectUrl(['checkout_id' => $crypto['id']])['url'];
        $this->assertSame(200, Sandbox::http('POST', $url)[0]);
        $this->assertSame('paid', $payfect->get($crypto['id'])['payment_status']);
        $this->expectException(UnsupportedException::class);
        $payfect->complete(['checkout_id' => $crypto['id'], 'payment_token' => 'x']);
    }

    /** A paid JustiFi checkout of $amount minor units. */
    private static function paid(Client $client, int $amount = 1799): string
    {
        $checkout = $client->create(['amount' => $amount, 'description' => 'Donuts']);
        $done = $client->complete(['checkout_id' => $checkout['id'], 'payment_token' => Sandbox::tokenize()]);
        self::assertSame('succeeded', $done['payment_status']);
        return $checkout['id'];
    }

    /** The refunds the sandbox's ledger holds for a JustiFi checkout (what JustiFi would have made). */
    private static function refundsMade(string $checkoutId): int
    {
        [, $ledger] = Sandbox::http('GET', Sandbox::url() . '/__sandbox/ledger');
        return count($ledger['checkouts'][$checkoutId]['refunds'] ?? []);
    }

    public function testJustifiRefundsPartlyThenFully(): void
    {
        $client = self::justifi();
        $id = self::paid($client);
        $before = $client->refunds($id);
        $this->assertSame([1799, 0, 1799, []], [$before['amount_paid'], $before['amount_refunded'],
            $before['amount_refundable'], $before['refunds']]);
        $this->assertStringStartsWith('py_', $before['payment_id']);

        $request = ['checkout_id' => $id, 'amount' => 500, 'idempotency_key' => 'php-refund-1'];
        $part = $client->refund($request);
        $this->assertSame(['succeeded', 500, 'usd', 'php-refund-1', null, $before['payment_id']],
            [$part['status'], $part['amount'], $part['currency'], $part['idempotency_key'], $part['confirmed_by'],
                $part['payment_id']]);
        $this->assertStringStartsWith('chr_', $part['id']);
        $again = $client->refund($request);
        $this->assertSame([$part['id'], 'succeeded'], [$again['id'], $again['status']], 'the same key replays the refund');
        $this->assertSame(1, self::refundsMade($id));

        $rest = $client->refund(['checkout_id' => $id]);
        $this->assertSame(['succeeded', 1299], [$rest['status'], $rest['amount']], 'no amount: what is still refundable');
        $this->assertIsString($rest['idempotency_key'], 'a key is minted and returned');
        $after = $client->refunds($id);
        $this->assertSame([1799, 0], [$after['amount_refunded'], $after['amount_refundable']]);
        $this->assertSame([500, 1299], array_column($after['refunds'], 'amount'));
        $this->assertSame(['succeeded', 'succeeded'], array_column($after['refunds'], 'status'));
        $this->assertSame(2, self::refundsMade($id));

        try {
            $client->refund(['checkout_id' => $id]);
            $this->fail('no exception');
        } catch (ConflictException $e) {
            $this->assertSame([9, 'conflict'], [$e->status, $e->errorCode]);
            $this->assertStringEndsWith('is fully refunded', $e->getMessage());
        }
        $this->assertSame(2, self::refundsMade($id));
    }

    public function testRefundRefusals(): void
    {
        $client = self::justifi();
        $unpaid = self::donut($client);
        try {
            $client->refund(['checkout_id' => $unpaid['id']]);
            $this->fail('no exception');
        } catch (ConflictException $e) {
            $this->assertStringContainsString('is not paid', $e->getMessage());
        }
        $this->assertSame([null, 0], array_values(array_intersect_key($client->refunds($unpaid['id']),
            ['payment_id' => 0, 'amount_paid' => 0])));

        $id = self::paid($client);
        try {
            $client->refund(['checkout_id' => $id, 'amount' => 1800]);
            $this->fail('no exception');
        } catch (InvalidRequestException $e) {
            $this->assertStringStartsWith('amount: 1800 minor units is more than the 1799', $e->getMessage());
        }
        try {
            $client->refund(['checkout_id' => $id, 'amount' => 1800, 'idempotency_key' => 'php-over-1']);
            $this->fail('no exception');
        } catch (InvalidRequestException $e) {
            // With a caller's key JustiFi judges the amount (so that a call again replays the first).
            $this->assertSame(['refund_exceeds_payment_amount', 'php-over-1'], [$e->providerCode, $e->idempotencyKey]);
        }
        $this->assertThrows(InvalidRequestException::class,
            static fn () => $client->refund(['checkout_id' => $id, 'reason' => 'requested_by_customer']));
        $this->assertThrows(NotFoundException::class, static fn () => $client->refund(['checkout_id' => 'cho_missing']));
        $this->assertSame(0, self::refundsMade($id), 'nothing refused was refunded');

        $this->assertThrows(InvalidRequestException::class,
            static fn () => self::recharge()->refund(['checkout_id' => 'x', 'idempotency_key' => 'k']));
        $payfect = new Client(['provider' => 'payfect', 'base_url' => Sandbox::url(), 'api_key' => 'test_payfect_key']);
        try {
            $payfect->refund(['checkout_id' => 'c_1']);
            $this->fail('no exception');
        } catch (UnsupportedException $e) {
            $this->assertSame([6, "checkout_refund: Payfect's published API has no refund"], [$e->status, $e->getMessage()]);
        }
        $this->assertThrows(UnsupportedException::class, static fn () => $payfect->void('c_1'));
    }

    public function testRechargeRefundsTheCheckoutsCharge(): void
    {
        $recharge = self::recharge();
        $checkout = $recharge->create(['provider_options' => self::SEED_002]);
        $recharge->complete(['checkout_id' => $checkout['id'], 'payment_token' => 'tok_visa']);
        $part = $recharge->refund(['checkout_id' => $checkout['id'], 'amount' => 1250]);
        $this->assertSame(['succeeded', 1250, null], [$part['status'], $part['amount'], $part['idempotency_key']]);
        $state = $recharge->refunds($checkout['id']);
        $this->assertSame([6000, 1250, 4750], [$state['amount_paid'], $state['amount_refunded'], $state['amount_refundable']]);
        $this->assertSame(4750, $recharge->refund(['checkout_id' => $checkout['id']])['amount']);
        [, $ledger] = Sandbox::http('GET', Sandbox::url() . '/__sandbox/ledger');
        $this->assertCount(2, $ledger['recharge_checkouts'][$checkout['id']]['refunds']);
        $this->assertThrows(UnsupportedException::class, static fn () => $recharge->void($checkout['id']));
    }

    public function testJustifiVoid(): void
    {
        $client = self::justifi();
        $id = self::paid($client);
        $void = $client->void($id, 'php-void-1');
        $this->assertSame(['voided', 'php-void-1'], [$void['status'], $void['idempotency_key']]);
        $this->assertStringStartsWith('py_', $void['payment_id']);
        $this->assertSame($void['payment_id'], $client->void($id, 'php-void-1')['payment_id'], 'the same key replays the void');
        $unpaid = self::donut($client)['id'];
        $this->assertThrows(ConflictException::class, static fn () => $client->void($unpaid));
        $refunded = self::paid($client);
        $client->refund(['checkout_id' => $refunded]);
        try {
            $client->void($refunded);
            $this->fail('no exception');
        } catch (ConflictException $e) {
            $this->assertSame('payment_outside_void_window', $e->providerCode);
        }
    }

    public function testErrorClassesCarryTheErrorObject(): void
    {
        $client = self::justifi();
        try {
            $client->create(['amount' => '17.99', 'description' => 'x']);
            $this->fail('no exception');
        } catch (InvalidRequestException $e) {
            $this->assertSame([4, 4, 'invalid_request', 'amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)'],
                [$e->status, $e->getCode(), $e->errorCode, $e->getMessage()]);
        }
        try {
            $client->get('cho_missing');
            $this->fail('no exception');
        } catch (NotFoundException $e) {
            $this->assertSame([404, 'resource_not_found', 'justifi'], [$e->httpStatus, $e->providerCode, $e->provider]);
            $this->assertStringStartsWith('req_', $e->requestId);
            $this->assertInstanceOf(CheckoutException::class, $e);
        }
        $this->assertThrows(ConfigException::class, static fn () => new Client([]));
        $this->assertThrows(AuthenticationException::class,
            static fn () => self::justifi(['client_secret' => 'wrong'])->get('cho_x'));
        $recharge = self::recharge();
        $paid = $recharge->create(['provider_options' => self::SEED_002]);
        $recharge->complete(['checkout_id' => $paid['id'], 'payment_token' => 'tok_visa']);
        $this->assertThrows(ConflictException::class,
            static fn () => $recharge->complete(['checkout_id' => $paid['id'], 'payment_token' => 'tok_visa']));
        $other = $recharge->create(['provider_options' => self::SEED_002]);
        Sandbox::http('POST', Sandbox::url() . '/__sandbox/faults', ['route' => 'POST /checkouts/{token}/charge', 'status' => 503]);
        $settled = $recharge->complete(['checkout_id' => $other['id'], 'payment_token' => 'tok_visa']);
        $this->assertSame(['pending', 'checkout_get'], [$settled['payment_status'], $settled['confirmed_by']]);
        $this->assertStringContainsString('before charging again', $settled['pending_reason']);
    }

    private const MINOR_UNITS = 'amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)';

    public function testADecimalAmountSaysMinorUnits(): void
    {
        try {
            self::justifi()->create(['amount' => 17.99, 'description' => 'x']);
            $this->fail('no exception');
        } catch (InvalidRequestException $e) {
            $this->assertSame(self::MINOR_UNITS, $e->getMessage());
        }
    }

    /** PHP writes the float 5.00 as `5` unless told otherwise: 5 cents, where dollars were meant. */
    public function testAWholeFloatAmountIsNotTakenAsMinorUnits(): void
    {
        $client = self::justifi();
        try {
            $client->create(['amount' => 17.00, 'description' => 'x']);
            $this->fail('no exception');
        } catch (InvalidRequestException $e) {
            $this->assertSame(self::MINOR_UNITS, $e->getMessage());
        }
        $id = self::paid($client);
        $this->assertThrows(InvalidRequestException::class, static fn () => $client->refund(['checkout_id' => $id, 'amount' => 5.00]));
        $this->assertSame(0, self::refundsMade($id), 'no 5-cent refund');
        $this->assertSame(['score' => 1.0], $client->create(['amount' => 1799, 'description' => 'x',
            'metadata' => ['score' => 1.0]])['metadata'], 'a float in metadata stays one');
    }

    public function testACurrencyOutsideIso4217IsRefusedBeforeAnythingIsSent(): void
    {
        [, $before] = Sandbox::http('GET', Sandbox::url() . '/__sandbox/counters');
        try {
            self::justifi()->create(['amount' => 1799, 'currency' => 'dollars', 'description' => 'x']);
            $this->fail('no exception');
        } catch (InvalidRequestException $e) {
            $this->assertSame('currency: dollars is not an ISO 4217 currency with minor units, nor usdt or usdc',
                $e->getMessage());
        }
        [, $after] = Sandbox::http('GET', Sandbox::url() . '/__sandbox/counters');
        $this->assertSame([$before['token_grants'], $before['requests']], [$after['token_grants'], $after['requests']],
            'no token fetch, no request');
    }

    /** PHP-FPM's default ffi.enable=preload forbids FFI outside preloaded code, as 0 does everywhere. */
    public function testARestrictedFfiIsAConfigExceptionNamingTheReadmeSection(): void
    {
        $src = dirname(__DIR__) . '/src';
        $script = 'foreach (["exceptions.php", "Library.php", "Client.php"] as $f) { require ' . var_export($src, true)
            . ' . "/" . $f; } try { new StorefrontCheckout\\Client(["provider" => "justifi"]); echo "no exception"; } '
            . 'catch (StorefrontCheckout\\CheckoutException $e) { echo get_class($e), "|", $e->getCode(), "|", $e->getMessage(); }';
        $process = proc_open([PHP_BINARY, '-d', 'ffi.enable=0', '-r', $script],
            [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $this->assertSame(0, proc_close($process), $out . $err);
        [$class, $code, $message] = explode('|', $out, 3) + ['', '', ''];
        $this->assertSame(['StorefrontCheckout\\ConfigException', '5'], [$class, $code], $out . $err);
        $this->assertStringStartsWith('ffi: FFI is not allowed here (ffi.enable=0: ', $message);
        $this->assertStringEndsWith('see README.md, "PHP under PHP-FPM"', $message);
    }

    public function testNetworkTimeoutAndRateLimitErrors(): void
    {
        $closed = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($closed, false), ':'), 1);
        fclose($closed);
        $this->assertThrows(NetworkException::class,
            static fn () => self::justifi(['base_url' => "http://127.0.0.1:$port", 'max_retries' => 0])->get('cho_x'));
        $silent = stream_socket_server('tcp://127.0.0.1:0');
        $url = 'http://' . stream_socket_get_name($silent, false);
        $this->assertThrows(TimeoutException::class, static fn () => self::justifi(
            ['base_url' => $url, 'timeout_ms' => 200, 'max_retries' => 0])->create(['amount' => 1799, 'description' => 'x']));
        fclose($silent);
        $impatient = self::recharge(['max_retries' => 0]);
        $this->assertThrows(RateLimitedException::class, static function () use ($impatient): void {
            for ($i = 0; $i < 60; $i++) {
                try {
                    $impatient->get(str_repeat('0', 32));
                } catch (NotFoundException) {
                }
            }
        });
    }

    public function testAClosedClientRefusesCalls(): void
    {
        $client = self::justifi();
        $client->close();
        $client->close();
        foreach ([static fn () => $client->get('cho_x'), static fn () => $client->verifyWebhook([], '{}')] as $call) {
            try {
                $call();
                $this->fail('no exception');
            } catch (ClientClosedException $e) {
                $this->assertInstanceOf(CheckoutException::class, $e);
                $this->assertSame([1, 'client: the client is closed'], [$e->status, $e->getMessage()]);
            }
        }
    }

    public function testUnreadableLibraryOutputIsACheckoutException(): void
    {
        $decode = new \ReflectionMethod(Client::class, 'decode');
        $decode->setAccessible(true);
        $this->expectException(InternalException::class);
        $decode->invoke(null, str_repeat('[', 5000) . str_repeat(']', 5000));
    }

    public function testTenThousandCallsKeepMemoryFlat(): void
    {
        $client = self::justifi();
        $rss = static fn (): int => (int) explode(' ', (string) file_get_contents('/proc/self/statm'))[1] * 4;
        for ($i = 0; $i < 500; $i++) {
            $this->missing($client);
        }
        $before = $rss();
        for ($i = 0; $i < 10000; $i++) {
            $this->missing($client);
        }
        $growth = $rss() - $before;
        fwrite(STDERR, "\nRSS growth over 10,000 calls: $growth KiB\n");
        $this->assertLessThan(16 * 1024, $growth);
    }

    public function testTheStorefrontExampleRuns(): void
    {
        $example = dirname(__DIR__) . '/examples/storefront.php';
        exec(PHP_BINARY . ' ' . escapeshellarg($example) . ' ' . escapeshellarg(Sandbox::url()) . ' 2>&1', $lines, $code);
        $out = implode("\n", $lines);
        $this->assertSame(0, $code, $out);
        $this->assertStringContainsString('justifi completion: chc_', $out);
        $this->assertStringContainsString('recharge completion:', $out);
        $this->assertStringEndsWith('paid', $out);
    }

    private function missing(Client $client): void
    {
        try {
            $client->get('cho_missing');
        } catch (NotFoundException) {
            return;
        }
        $this->fail('expected NotFoundException');
    }

    private function assertThrows(string $class, callable $call): void
    {
        try {
            $call();
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e, $e->getMessage());
            return;
        }
        $this->fail("expected $class");
    }
}
