<?php
// A plain-PHP shop behind PHP-FPM paying with storefront-checkout (JustiFi): one front
// controller, served by nginx (or any FastCGI front) for every path.
//
//   GET  /                              a form: amount (minor units), description
//   POST /pay                           creates the checkout, 303 to JustiFi's hosted page
//   POST /orders/{id}/complete          pays with a payment method token (payment_token)
//   GET  /orders/{id}                   the order, as JSON
//   POST /webhooks/justifi              JustiFi's deliveries: verified, then applied
//
// FPM serves one request per worker at a time, so a Client per request is the PHP way: the
// library keeps its connections and JustiFi's access token per worker process, across
// requests. Credentials come from the pool's env[JUSTIFI_*] (the README's "PHP under PHP-FPM"),
// the webhook signing secret from env[JUSTIFI_WEBHOOK_SECRET], the orders file's directory from
// env[SHOP_DATA_DIR], and the shop's public origin, for the return URL, from env[SHOP_BASE_URL]
// (configured rather than read from the request's Host header, which the client chooses).

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';

use Example\Orders;
use StorefrontCheckout\CheckoutException;
use StorefrontCheckout\Client;
use StorefrontCheckout\ConflictException;
use StorefrontCheckout\InvalidRequestException;
use StorefrontCheckout\NetworkException;
use StorefrontCheckout\NotFoundException;
use StorefrontCheckout\ProviderException;
use StorefrontCheckout\RateLimitedException;
use StorefrontCheckout\SignatureException;
use StorefrontCheckout\TimeoutException;

/** @param array<string, mixed> $body */
function json_answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
}

/** The answer for a library error: the shopper's mistake 400, a provider outage 502. */
function http_status(CheckoutException $e): int
{
    return match (true) {
        $e instanceof InvalidRequestException, $e instanceof SignatureException => 400,
        $e instanceof NotFoundException => 404,
        $e instanceof ConflictException => 409,
        $e instanceof ProviderException, $e instanceof NetworkException, $e instanceof TimeoutException,
        $e instanceof RateLimitedException => 502,
        default => 500,
    };
}

/**
 * The form's amount: an integer when it is one; anything else goes to the library as typed,
 * whose InvalidRequestException says what it wants (minor units: 1799 for 17.99 USD).
 */
function minor_units(string $text): int|string
{
    return ctype_digit($text) ? (int) $text : $text;
}

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$orders = new Orders(getenv('SHOP_DATA_DIR') . '/orders.json');
$origin = (string) getenv('SHOP_BASE_URL');

try {
    $client = new Client(['provider' => 'justifi', 'webhook_secrets' => [(string) getenv('JUSTIFI_WEBHOOK_SECRET')]]);
    if ($method === 'GET' && $path === '/') {
        echo '<!doctype html><title>Donuts</title><form method="post" action="/pay">',
            '<input name="amount" value="1799"> cents for <input name="description" value="One Chocolate Donut">',
            '<button>Pay</button></form>';
    } elseif ($method === 'POST' && $path === '/pay') {
        $orderId = bin2hex(random_bytes(16));
        $description = (string) ($_POST['description'] ?? '') ?: "Order $orderId";
        $checkout = $client->create(['amount' => minor_units((string) ($_POST['amount'] ?? '')),
            'description' => $description, 'client_reference_id' => $orderId]);
        $orders->save(['id' => $orderId, 'checkout_id' => $checkout['id'], 'amount' => $checkout['amount'],
            'description' => $description, 'status' => 'pending', 'payment_id' => null, 'refunds' => [],
            'idempotency_key' => null]);
        // JustiFi's hosted page sends the shopper back to success_url once paid.
        $page = $client->redirectUrl(['checkout_id' => $checkout['id'], 'success_url' => "$origin/orders/$orderId"]);
        header('Location: ' . $page['url'], true, 303);
    } elseif ($method === 'POST' && preg_match('#^/orders/([0-9a-f]{32})/complete$#', $path, $m)) {
        // The token comes from JustiFi's <justifi-tokenize-payment-method> on the shop's page.
        $order = $orders->find($m[1]);
        $key = $orders->completionKey($m[1]);
        if ($order === null || $key === null) {
            json_answer(404, ['error' => 'not_found', 'message' => 'no such order']);
            return;
        }
        try {
            $paid = $client->complete(['checkout_id' => $order['checkout_id'], 'idempotency_key' => $key,
                'payment_token' => (string) ($_POST['payment_token'] ?? '')]);
        } catch (CheckoutException $e) {
            if ($e->retryable && $e->idempotencyKey !== null) {
                // The payment may have gone through: the key stays on the order, so calling
                // again replays it (JustiFi's idempotency) instead of charging twice.
                error_log("completion's outcome unknown: {$e->getMessage()} (request id {$e->requestId})");
                json_answer(502, ['error' => $e->errorCode, 'message' => $e->getMessage()]);
                return;
            }
            $orders->completed($order['id'], null, true);
            throw $e;
        }
        // Only the completion's fields change, under the lock: the order read above is stale
        // by now if a webhook was handled meanwhile by another worker. A pending completion
        // keeps its key: calling again with it is safe (docs/contract.md).
        $orders->completed($order['id'], $paid['payment_id'], $paid['payment_status'] !== 'pending');
        // The order is marked paid by the webhook, which also comes when the shopper never
        // returns; this answer is for the shopper's page.
        json_answer(200, ['order_id' => $order['id'], 'payment_status' => $paid['payment_status'],
            'payment_error' => $paid['payment_error'], 'pending_reason' => $paid['pending_reason']]);
    } elseif ($method === 'GET' && preg_match('#^/orders/([0-9a-f]{32})$#', $path, $m)) {
        $order = $orders->find($m[1]);
        json_answer($order === null ? 404 : 200, $order ?? ['error' => 'not_found', 'message' => 'no such order']);
    } elseif ($method === 'POST' && $path === '/webhooks/justifi') {
        // The raw body, as received: re-encoded JSON would not match the signature.
        $event = $client->verifyWebhook(getallheaders(), (string) file_get_contents('php://input'));
        $unknown = $orders->apply($event);
        if ($unknown !== null) {
            // Paid on JustiFi's hosted page: its refunds will name the payment, which /complete
            // never saw. One read, outside the orders' lock; when it fails the answer is a 502,
            // JustiFi delivers again and the read is made again.
            $orders->paidWith($unknown, $client->refunds($unknown)['payment_id']);
        }
        http_response_code(200); // JustiFi's docs (webhooks.md): answer 200 within 5 s, anything else is retried
    } else {
        json_answer(404, ['error' => 'not_found', 'message' => "no route $method $path"]);
    }
} catch (CheckoutException $e) {
    $status = http_status($e);
    if ($status >= 500) {
        error_log("checkout call failed: {$e->getMessage()} (request id {$e->requestId})");
    }
    json_answer($status, ['error' => $e->errorCode, 'message' => $e->getMessage()]);
}
