<?php

declare(strict_types=1);

namespace StorefrontCheckout\Tests;

use PHPUnit\Framework\TestCase;
use StorefrontCheckout\Client;
use StorefrontCheckout\ConfigException;
use StorefrontCheckout\SignatureException;

/** verifyWebhook, with signatures computed here by PHP's hash_hmac and hash. */
final class WebhookTest extends TestCase
{
    private const BODY = '{"id":"evt_1","event_name":"checkout.completion.failed","data":{"id":"chc_1","checkout_id":"cho_1"}}';

    private static function justifi(array $secrets): Client
    {
        return new Client(['provider' => 'justifi', 'base_url' => 'http://127.0.0.1:9', 'client_id' => '-',
            'client_secret' => '-', 'sub_account' => '-', 'webhook_secrets' => $secrets]);
    }

    private static function signed(string $secret, string $body = self::BODY, ?int $at = null): array
    {
        $ts = (string) ($at ?? time());
        return ['Justifi-Timestamp' => $ts, 'Justifi-Signature' => hash_hmac('sha256', "$ts.$body", $secret)];
    }

    public function testAValidAndARotatedSignatureVerify(): void
    {
        $client = self::justifi(['sigk_new', 'sigk_old']);
        $event = $client->verifyWebhook(self::signed('sigk_new'), self::BODY);
        $this->assertSame(['payment.failed', 'checkout.completion.failed', 'cho_1', 'failed'],
            [$event['type'], $event['provider_type'], $event['checkout_id'], $event['payment_status']]);
        $this->assertSame('evt_1', $client->verifyWebhook(self::signed('sigk_old'), self::BODY)['event_id']);
    }

    /** A framework's parsed and re-encoded JSON body: the message points at the body. */
    public function testAReSerializedBodyIsPointedAt(): void
    {
        $reencoded = json_encode(json_decode(self::BODY, true), JSON_PRETTY_PRINT);
        try {
            self::justifi(['sigk_new'])->verifyWebhook(self::signed('sigk_new'), $reencoded);
            $this->fail('accepted a re-serialized body');
        } catch (SignatureException $e) {
            $this->assertSame("bad signature: JUSTIFI-SIGNATURE matches none of the webhook_secrets; the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets the endpoint's signing secrets", $e->getMessage());
        }
    }

    public function testEveryRefusalSaysWhichCheckFailed(): void
    {
        $client = self::justifi(['sigk_new']);
        $cases = [
            [self::signed('sigk_new'), str_replace('cho_1', 'cho_9', self::BODY), 'bad signature'],
            [self::signed('sigk_wrong'), self::BODY, 'bad signature'],
            [self::signed('sigk_new', self::BODY, time() - 25 * 3600), self::BODY, 'timestamp outside tolerance'],
            [self::signed('sigk_new', self::BODY, time() + 3600), self::BODY, 'timestamp outside tolerance'],
            [[], self::BODY, 'missing header JUSTIFI-TIMESTAMP'],
            [self::signed('sigk_new', "\xff"), "\xff", 'body is not JSON'],
        ];
        foreach ($cases as [$headers, $body, $message]) {
            try {
                $client->verifyWebhook($headers, $body);
                $this->fail("accepted: $message");
            } catch (SignatureException $e) {
                $this->assertStringStartsWith($message, $e->getMessage());
                $this->assertSame(14, $e->getCode());
                $this->assertStringNotContainsString('sigk_new', $e->getMessage());
            }
        }
    }

    public function testRechargeLegacyHash(): void
    {
        $client = new Client(['provider' => 'recharge', 'base_url' => 'http://127.0.0.1:9', 'api_token' => '-',
            'webhook_secrets' => ['rc_secret'], 'accept_legacy_webhook_signature' => true]);
        $body = '{"checkout":{"token":"' . str_repeat('b', 32) . '","completed_at":null}}';
        $event = $client->verifyWebhook(['X-Recharge-Hmac-Sha256' => hash('sha256', 'rc_secret' . $body),
            'X-Recharge-Topic' => 'checkout/created'], $body);
        $this->assertSame(['other', 'checkout', 'checkout/created', str_repeat('b', 32), null],
            [$event['type'], $event['provider_type'], $event['unsigned_topic'], $event['checkout_id'],
                $event['payment_status']]);
    }

    public function testNoSecretsIsAConfigurationError(): void
    {
        $this->expectException(ConfigException::class);
        self::justifi([])->verifyWebhook([], '{}');
    }
}
