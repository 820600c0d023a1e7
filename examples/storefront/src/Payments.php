<?php

declare(strict_types=1);

namespace Shop;

use StorefrontCheckout\AuthenticationException;
use StorefrontCheckout\CheckoutException;
use StorefrontCheckout\Client;
use StorefrontCheckout\ConfigException;
use StorefrontCheckout\ConflictException;
use StorefrontCheckout\InvalidRequestException;
use StorefrontCheckout\NotFoundException;
use StorefrontCheckout\UnsupportedException;

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

    /**
     * A refund left `sending` longer than this many seconds was abandoned by its worker (the
     * library's call ends within its `deadline_ms`, 60 s by default, docs/contract.md §5) and
     * may be sent again under its key.
     */
    public const REFUND_STALE_S = 120.0;

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
     * Why the admin cannot refund paid `$order` from the shop, or null when they can: a JustiFi
     * order paid through a checkout (the hosted page or the web component) or a ReCharge order,
     * with something left to refund.
     *
     * @param array<string, mixed> $order
     */
    public static function refundBlocker(array $order): ?string
    {
        return match (true) {
            $order['status'] !== 'paid' => 'Not paid.',
            $order['provider'] === 'payfect' => 'Payfect publishes no refund.',
            // The session flow (seed 003) pays a payment intent and makes no checkout, while the
            // library refunds a checkout (checkout_refund takes a checkout_id).
            $order['checkout_id'] === null => 'Paid in a JustiFi checkout session: a payment intent, not a checkout, '
                . 'and the shop refunds checkouts only. Refund it in JustiFi\'s dashboard.',
            (int) $order['refunded_amount'] >= (int) $order['amount'] => 'Refunded in full.',
            default => null,
        };
    }

    /**
     * Refunds paid `$order` from the admin's form, at most once per form: `$refundId` is the
     * form's nonce (`ref_` and 32 hex digits), `$typed` the amount the admin typed in major
     * units ("5.00"; empty: all that is still refundable). Returns the notice to show.
     *
     * A new refund's amount is resolved (a full refund's from the provider's refundable
     * amount) and stored with its idempotency key (`shop-refund-{order}-{nonce}`) before
     * anything is sent, so that the same form posted again (a double click, the browser's
     * resubmission, the Retry button of a pending refund) finds it and never makes a second
     * refund: JustiFi is sent the same key and amount, which it replays; ReCharge takes no
     * key, so its charge is read first and the refund is sent again only when the charge
     * shows it did not arrive. Only one refund per order is unsettled at a time.
     *
     * @param array<string, mixed> $order
     */
    public function refund(array $order, string $refundId, string $typed, Orders $orders): string
    {
        $blocker = self::refundBlocker($order);
        if ($blocker !== null) {
            return "Order {$order['id']} cannot be refunded here: $blocker";
        }
        $existing = $orders->refund($refundId);
        if ($existing !== null) {
            return $existing['order_id'] === $order['id'] ? $this->again($order, $existing, $orders)
                : 'That refund belongs to another order.';
        }
        $client = $this->client($order['provider']);
        try {
            $state = $client->refunds($order['checkout_id']);
        } catch (CheckoutException $e) {
            return "Nothing was refunded: the order's payment could not be read ({$e->getMessage()}).";
        }
        $amount = trim($typed) === '' ? (int) $state['amount_refundable'] : Catalog::minorUnits($typed);
        if ($amount === null || $amount === 0) {
            return trim($typed) === '' ? 'Nothing is left to refund.'
                : 'Nothing was refunded: type an amount such as 5.00, or leave the field empty to refund all that is left.';
        }
        $key = "shop-refund-{$order['id']}-$refundId";
        if (!$orders->startRefund($refundId, $order['id'], $amount, $key, (int) $state['amount_refunded'])) {
            $existing = $orders->refund($refundId); // the same form, posted twice at once
            return $existing !== null ? $this->again($order, $existing, $orders)
                : 'Another refund of this order is not settled yet: retry it first.';
        }
        return $this->sendRefund($order, $orders->refund($refundId), $client, $orders);
    }

    /**
     * A stored refund posted again: its outcome when it is definite, else it is sent again
     * with its key and amount (by one worker at a time).
     *
     * @param array<string, mixed> $order
     * @param array<string, mixed> $refund
     */
    private function again(array $order, array $refund, Orders $orders): string
    {
        if (!in_array($refund['status'], ['sending', 'pending'], true)) {
            return self::describe($refund);
        }
        if (!$orders->claimRefund($refund['id'], self::REFUND_STALE_S)) {
            return 'The refund of ' . Catalog::money((int) $refund['amount'], $order['currency'])
                . ' is being sent: reload the page in a moment to see its outcome.';
        }
        $client = $this->client($order['provider']);
        if ($order['provider'] === 'recharge') {
            // No key to replay with: read the charge, and send again only when it shows that
            // the refund did not arrive (docs/contract.md, checkout_refund: "read
            // checkout_refunds before refunding again").
            try {
                $state = $client->refunds($order['checkout_id']);
            } catch (CheckoutException $e) {
                $orders->finishRefund($refund['id'], 'pending', null,
                    "ReCharge's charge could not be read ({$e->getMessage()}); retry later.");
                return self::describe((array) $orders->refund($refund['id']));
            }
            if ((int) $state['amount_refunded'] >= (int) $refund['refunded_before'] + (int) $refund['amount']) {
                $orders->finishRefund($refund['id'], 'succeeded', null, "ReCharge's charge shows it refunded.");
                return self::describe((array) $orders->refund($refund['id']));
            }
        }
        return $this->sendRefund($order, $refund, $client, $orders);
    }

    /**
     * Sends stored `$refund` (claimed by this worker) and records its outcome: the library's
     * status (succeeded, failed with the provider's reason, pending with what to do); a
     * refusal (nothing refunded: an amount above what is left, a conflict) as `refused`; any
     * other error as `pending`, since the refund may have gone through.
     *
     * @param array<string, mixed> $order
     * @param array<string, mixed> $refund
     */
    private function sendRefund(array $order, array $refund, Client $client, Orders $orders): string
    {
        $request = ['checkout_id' => $order['checkout_id'], 'amount' => (int) $refund['amount']];
        if ($order['provider'] === 'justifi') { // ReCharge takes no idempotency key
            $request['idempotency_key'] = $refund['idempotency_key'];
        }
        try {
            $result = $client->refund($request);
            $orders->finishRefund($refund['id'], $result['status'], $result['id'], match ($result['status']) {
                'failed' => $result['refund_error']['message'] ?? 'The provider refused the refund.',
                'pending' => $result['pending_reason'],
                default => null,
            });
        } catch (InvalidRequestException|ConflictException|UnsupportedException|NotFoundException
            |AuthenticationException|ConfigException $e) {
            $orders->finishRefund($refund['id'], 'refused', null, $e->getMessage());
        } catch (CheckoutException $e) {
            error_log("order {$order['id']}: refund {$refund['id']} ended without an answer: {$e->getMessage()}");
            $orders->finishRefund($refund['id'], 'pending', null,
                "It may have gone through ({$e->getMessage()}). Retry it: it is never refunded twice.");
        }
        return self::describe((array) $orders->refund($refund['id']));
    }

    /**
     * What became of a refund, for the admin.
     *
     * @param array<string, mixed> $refund
     */
    public static function describe(array $refund): string
    {
        $amount = Catalog::money((int) $refund['amount']);
        return match ($refund['status']) {
            'succeeded' => "Refunded $amount.",
            'failed' => "The refund of $amount failed: {$refund['message']}",
            'refused' => "The refund of $amount was refused: {$refund['message']}",
            'sending' => "The refund of $amount is being sent.",
            default => "The refund of $amount is pending: {$refund['message']}",
        };
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
