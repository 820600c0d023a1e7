<?php

declare(strict_types=1);

namespace Shop;

use StorefrontCheckout\CheckoutException;
use StorefrontCheckout\Client;

/**
 * The shop's side of each checkout flow, through storefront-checkout. A `Client` is made per
 * request (the library keeps the access token and the connections across requests).
 *
 * The providers' credentials and the webhook signing secrets come from the shop's secrets file
 * (`Secrets`: `JUSTIFI_CLIENT_ID`, `JUSTIFI_CLIENT_SECRET`, `JUSTIFI_SUB_ACCOUNT`,
 * `RECHARGE_API_TOKEN`, `PAYFECT_API_KEY`, `JUSTIFI_WEBHOOK_SECRET`, `RECHARGE_WEBHOOK_SECRET`,
 * `PAYFECT_WEBHOOK_SECRET`), never from the pool's configuration; `SHOP_SANDBOX_URL`, the origin
 * of checkout-sandbox, stands for every provider's API and hosted pages when set.
 * `$shopOrigin` is the shop's configured public origin (`SHOP_BASE_URL`).
 */
final class Payments
{
    /** JustiFi's web component script (@justifi/webcomponents on jsDelivr), seed 001. */
    private const JUSTIFI_COMPONENT_SCRIPT =
        'https://cdn.jsdelivr.net/npm/@justifi/webcomponents@latest/dist/webcomponents/webcomponents.esm.js';

    /** Each provider's credentials: configuration key => secrets file entry (docs/contract.md §5). */
    private const CREDENTIALS = [
        'justifi' => ['client_id' => 'JUSTIFI_CLIENT_ID', 'client_secret' => 'JUSTIFI_CLIENT_SECRET',
            'sub_account' => 'JUSTIFI_SUB_ACCOUNT'],
        'recharge' => ['api_token' => 'RECHARGE_API_TOKEN'],
        'payfect' => ['api_key' => 'PAYFECT_API_KEY'],
    ];

    /**
     * The order page reads an unpaid order's payment from the provider at most once per this
     * many seconds: anyone can reload a page, and each read spends the shop's provider rate
     * limit (ReCharge's leaky bucket); the webhook is the source of truth.
     */
    public const PROVIDER_READ_INTERVAL_S = 10.0;

    public function __construct(private readonly string $shopOrigin, private readonly Secrets $secrets)
    {
    }

    private function client(string $provider): Client
    {
        $config = ['provider' => $provider];
        foreach (self::CREDENTIALS[$provider] as $key => $name) {
            $value = $this->secrets->get($name);
            if ($value !== null) {
                $config[$key] = $value;
            }
        }
        $secret = $this->secrets->get(strtoupper($provider) . '_WEBHOOK_SECRET');
        if ($secret !== null) {
            $config['webhook_secrets'] = [$secret];
        }
        $sandbox = getenv('SHOP_SANDBOX_URL');
        if ($sandbox !== false && $sandbox !== '') {
            $config['base_url'] = $sandbox;
            if ($provider !== 'payfect') { // a Payfect checkout names its own page
                $config['hosted_base_url'] = $sandbox;
            }
        }
        return new Client($config);
    }

    /**
     * The URL of the `<justifi-checkout>` script: `SHOP_COMPONENT_SCRIPT` when set (the browser
     * test serves JustiFi's own package so), else the sandbox's stand-in, else JustiFi's.
     */
    public static function componentScript(): string
    {
        $script = getenv('SHOP_COMPONENT_SCRIPT');
        if ($script !== false && $script !== '') {
            return $script;
        }
        $sandbox = getenv('SHOP_SANDBOX_URL');
        return $sandbox ? $sandbox . '/webcomponents/webcomponents.esm.js' : self::JUSTIFI_COMPONENT_SCRIPT;
    }

    /**
     * Starts paying `$order` in its flow: returns the URL to send the shopper to (the
     * provider's page, or the shop's card page for the web component) after recording the
     * provider's object on the order.
     *
     * @param array<string, mixed> $order
     */
    public function start(array $order, Orders $orders): string
    {
        $id = $order['id'];
        $return = "{$this->shopOrigin}/orders/$id";
        $description = "Order $id";
        switch ($order['flow']) {
            case 'justifi_hosted': // JustiFi's hosted checkout page of a checkout
                $justifi = $this->client('justifi');
                $checkout = $justifi->create(['amount' => (int) $order['amount'], 'currency' => 'usd',
                    'description' => $description, 'client_reference_id' => $id]);
                $orders->attach($id, $checkout['id'], null);
                return $justifi->redirectUrl(['checkout_id' => $checkout['id'], 'success_url' => $return])['url'];
            case 'justifi_session': // seed 003: payment intent, checkout session, /r/{id}
                $session = $this->client('justifi')->redirectUrl(['amount' => (int) $order['amount'], 'currency' => 'usd',
                    'description' => $description, 'success_url' => $return, 'cancel_url' => "{$this->shopOrigin}/cart"]);
                $orders->attach($id, null, $session['payment_intent_id']);
                return $session['url'];
            case 'justifi_component': // seed 001: the card form on the shop's own page
                $checkout = $this->client('justifi')->create(['amount' => (int) $order['amount'], 'currency' => 'usd',
                    'description' => $description, 'client_reference_id' => $id, 'origin_url' => $this->shopOrigin]);
                $orders->attach($id, $checkout['id'], null);
                return "$return/pay";
            case 'recharge': // seed 002: a subscription checkout on ReCharge's hosted page
                $recharge = $this->client('recharge');
                $lines = array_map(static fn (array $line) => ['name' => $line['name'], 'unit_amount' => $line['price'],
                    'quantity' => $line['quantity'], 'product_id' => $line['recharge_product_id'],
                    'variant_id' => $line['recharge_variant_id'],
                    'subscription' => ['interval_unit' => 'month', 'interval_frequency' => 1]],
                    json_decode($order['items'], true, 8, JSON_THROW_ON_ERROR));
                $checkout = $recharge->create(['currency' => 'usd', 'line_items' => $lines]);
                $orders->attach($id, $checkout['id'], null);
                return $recharge->redirectUrl(['checkout_id' => $checkout['id']])['url'];
            case 'payfect': // seed 004: a USDT checkout paid on Payfect's page
                $payfect = $this->client('payfect');
                $lines = array_map(static fn (array $line) => ['name' => $line['name'],
                    'description' => $line['description'], 'unit_amount' => $line['price'], 'quantity' => $line['quantity']],
                    json_decode($order['items'], true, 8, JSON_THROW_ON_ERROR));
                $checkout = $payfect->create(['currency' => 'usdt', 'line_items' => $lines, 'success_url' => $return,
                    'cancel_url' => "{$this->shopOrigin}/cart", 'callback_url' => "{$this->shopOrigin}/webhooks/payfect"]);
                $orders->attach($id, $checkout['id'], null);
                return $payfect->redirectUrl(['checkout_id' => $checkout['id']])['url'];
        }
        throw new \InvalidArgumentException("unknown flow {$order['flow']}");
    }

    /**
     * The web component for `$order`'s checkout: `<justifi-checkout ...>` with a fresh web
     * component token (they are short lived), preceded against the sandbox by
     * `<justifi-config-provider>` naming the sandbox as the component's API and iframe origin
     * (JustiFi's defaults are its own, `justifi-config-provider.js` in @justifi/webcomponents).
     *
     * @param array<string, mixed> $order
     */
    public function component(array $order): string
    {
        $html = $this->client('justifi')->webComponentToken($order['checkout_id'])['html'];
        $sandbox = getenv('SHOP_SANDBOX_URL');
        if ($sandbox !== false && $sandbox !== '') {
            $origin = Views::e($sandbox);
            $html = "<justifi-config-provider api-origin=\"$origin\" iframe-origin=\"$origin\"></justifi-config-provider>$html";
        }
        return $html;
    }

    /**
     * Reads `$order`'s JustiFi checkout after the shopper paid on the component page and
     * records what it says: paid, or failed with the latest completion's reason (the shopper
     * may try another card); else the order stays pending for the webhook. JustiFi's component
     * completes the checkout itself in the browser, and its `submit-event` (a decline too) is
     * only a cue: the shop believes the checkout it reads with its own credentials.
     *
     * @param array<string, mixed> $order
     */
    public function settle(array $order, Orders $orders): void
    {
        $this->record($order, $this->client('justifi')->get($order['checkout_id']), 'completion', $orders);
    }

    /**
     * Records what a checkout read says of `$order` (the contract's payment_status): paid, or
     * failed when its latest attempt was declined, the order then payable again; pending or
     * unpaid leaves the order for the webhook to settle.
     *
     * @param array<string, mixed> $order
     * @param array<string, mixed> $checkout
     */
    private function record(array $order, array $checkout, string $via, Orders $orders): void
    {
        match ($checkout['payment_status']) {
            'paid' => $orders->markPaid($order['id'], $via),
            'failed' => $orders->markFailed($order['id'], self::latestFailure($checkout['provider_data'])),
            default => null,
        };
    }

    /**
     * The reason of a JustiFi checkout's latest completion: the completions have no published
     * order, and JustiFi's component takes the latest by `updated_at` (`api/Checkout.js`).
     *
     * @param array<string, mixed> $checkout the provider's checkout
     */
    private static function latestFailure(array $checkout): string
    {
        $completions = $checkout['completions'] ?? [];
        usort($completions, static fn (array $a, array $b) => strcmp($b['updated_at'] ?? '', $a['updated_at'] ?? ''));
        return $completions[0]['payment_error_description'] ?? 'The payment failed.';
    }

    /**
     * Reads `$order`'s payment from the provider (seed 003: "interrogate the payment via API")
     * and records it (paid, or failed when the latest attempt was declined), at most once per
     * PROVIDER_READ_INTERVAL_S per order (else nothing is read and the order stays as the
     * completion or the webhook left it). A failed read is logged, not shown: the webhook will
     * settle the order.
     *
     * @param array<string, mixed> $order
     */
    public function refresh(array $order, Orders $orders): void
    {
        if (!$orders->claimProviderRead($order['id'], self::PROVIDER_READ_INTERVAL_S)) {
            return;
        }
        try {
            $this->read($order, $orders);
        } catch (CheckoutException $e) {
            error_log("order {$order['id']}: the provider read failed: {$e->getMessage()}");
        }
    }

    /** @param array<string, mixed> $order */
    private function read(array $order, Orders $orders): void
    {
        $client = $this->client($order['provider']);
        $checkout = $order['payment_intent_id'] !== null
            ? $client->get(paymentIntentId: $order['payment_intent_id'])
            : $client->get($order['checkout_id']);
        $this->record($order, $checkout, 'return', $orders);
    }

    /**
     * Verifies a webhook delivery for `$provider` and marks the order it names paid. Returns
     * the HTTP status to answer: 200 (also for a repeat, or an event about no order of this
     * shop), 400 when the signature does not verify.
     *
     * @param array<string, string> $headers
     */
    public function webhook(string $provider, array $headers, string $body, Orders $orders): int
    {
        try {
            $event = $this->client($provider)->verifyWebhook($headers, $body);
        } catch (CheckoutException $e) {
            error_log("webhook from $provider refused: {$e->getMessage()}");
            return 400;
        }
        $objectId = $event['checkout_id'] ?? $event['object_id'];
        $order = $objectId === null ? null : $orders->findByProviderObject($provider, $objectId);
        // The provider's own event name is recorded (Payfect names none: the unified type).
        $name = $event['provider_type'] ?? $event['type'];
        $key = $provider . ':' . ($event['event_id'] ?? "$name:$objectId");
        if (!$orders->recordEvent($key, $provider, $name, $order['id'] ?? null, $body)) {
            return 200; // a repeated delivery
        }
        if ($order !== null && in_array($event['type'], ['payment.succeeded', 'checkout.completed'], true)) {
            $orders->markPaid($order['id'], 'webhook');
        }
        return 200;
    }
}
