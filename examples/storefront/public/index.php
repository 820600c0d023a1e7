<?php

// The shop's front controller: the web server sends every request here (examples/storefront/run
// configures nginx and PHP-FPM so). SHOP_BASE_URL is the shop's public origin; SHOP_DATA_DIR
// holds the SQLite database and the sessions; SHOP_SECRETS_FILE names the secrets file
// (src/Secrets.php), readable by the pool's user only.

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';

use Shop\Catalog;
use Shop\Orders;
use Shop\Payments;
use Shop\Secrets;
use Shop\Views;
use StorefrontCheckout\CheckoutException;

$method = $_SERVER['REQUEST_METHOD'];
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/';

/** Sends an HTTP response and ends the request. */
function respond(int $status, string $body, array $headers = []): never
{
    http_response_code($status);
    header('Content-Type: text/html; charset=utf-8');
    foreach ($headers as $name => $value) {
        header("$name: $value");
    }
    echo $body;
    exit;
}

function redirect(string $url): never
{
    respond(303, '', ['Location' => $url]);
}

/**
 * Whether the request carries the admin's HTTP basic credentials: user `admin` and the
 * secrets file's `SHOP_ADMIN_PASSWORD` (without one, nobody is admin).
 */
function isAdmin(Secrets $secrets): bool
{
    $password = $secrets->get('SHOP_ADMIN_PASSWORD');
    // PHP-FPM fills PHP_AUTH_* from the Authorization header nginx passes (HTTP_AUTHORIZATION).
    $user = $_SERVER['PHP_AUTH_USER'] ?? null;
    $given = $_SERVER['PHP_AUTH_PW'] ?? null;
    if ($user === null && preg_match('/^Basic\s+([A-Za-z0-9+\/=]+)$/i', $_SERVER['HTTP_AUTHORIZATION'] ?? '', $m)) {
        [$user, $given] = explode(':', (string) base64_decode($m[1], true), 2) + [null, null];
    }
    return $password !== null && $user === 'admin' && is_string($given) && hash_equals($password, $given);
}

// Every field this shop reads is a string. PHP makes `product[]=...` (or `product[x]=...`) an
// array, which no page takes: refuse it here rather than fail deeper with a 500.
foreach ([$_GET, $_POST, $_COOKIE] as $fields) {
    foreach ($fields as $value) {
        if (is_array($value)) {
            respond(400, 'Bad request: a field was sent as a list; each field takes one value.');
        }
    }
}

try {
    $secrets = Secrets::load((string) getenv('SHOP_SECRETS_FILE'));
} catch (\RuntimeException $e) {
    error_log('shop: ' . $e->getMessage());
    respond(500, 'The shop is not configured (SHOP_SECRETS_FILE); see its error log.');
}
// The shop's public origin, for the return and webhook URLs handed to providers: configured,
// never taken from the request's Host header (which a client chooses, and which Debian's
// nginx passes without its port).
$origin = getenv('SHOP_BASE_URL');
if ($origin === false || $origin === '') {
    respond(500, 'SHOP_BASE_URL is not set: give the shop its public origin, e.g. https://shop.example.com');
}
$data = getenv('SHOP_DATA_DIR') ?: __DIR__ . '/../var';
@mkdir("$data/sessions", 0700, true);
$orders = new Orders("$data/shop.sqlite");
$shop = new Payments(rtrim($origin, '/'), $secrets);

// The provider's webhooks carry no session.
if ($method === 'POST' && preg_match('#^/webhooks/(justifi|recharge|payfect)$#', $path, $m)) {
    $status = $shop->webhook($m[1], getallheaders(), (string) file_get_contents('php://input'), $orders);
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode(['received' => $status === 200]);
    exit;
}

session_save_path("$data/sessions");
// HttpOnly: no script reads the cookie; SameSite=Lax: another site's form cannot post with it
// (the return from a provider's page is a top-level GET, which carries it); strict mode: a
// session id the shop did not issue is replaced, not adopted (session fixation).
session_start(['cookie_httponly' => true, 'cookie_samesite' => 'Lax', 'use_strict_mode' => true,
    'cookie_secure' => str_starts_with($origin, 'https://')]);
$_SESSION['cart'] ??= [];
// This session's orders are those placed with its shopper token.
$_SESSION['shopper'] ??= bin2hex(random_bytes(16));
$shopper = $_SESSION['shopper'];
$cart = Catalog::lines($_SESSION['cart']);
$count = array_sum(array_column($cart['lines'], 'quantity'));
$page = static function (string $title, string $body, int $status = 200, string $head = '', array $headers = []) use (&$count): never {
    respond($status, Views::page($title, $body, $count, $head), $headers);
};

try {
    if ($method === 'GET' && $path === '/') {
        $page('Fresh donuts', Views::products());
    }
    if ($method === 'POST' && $path === '/cart/add' && isset(Catalog::PRODUCTS[$_POST['product'] ?? ''])) {
        $_SESSION['cart'][$_POST['product']] = ($_SESSION['cart'][$_POST['product']] ?? 0) + 1;
        redirect('/cart');
    }
    if ($method === 'GET' && $path === '/cart') {
        $page('Your cart', Views::cart($cart));
    }
    if ($method === 'POST' && $path === '/checkout') {
        $flow = $_POST['flow'] ?? '';
        $provider = ['justifi_hosted' => 'justifi', 'justifi_session' => 'justifi', 'justifi_component' => 'justifi',
            'recharge' => 'recharge', 'payfect' => 'payfect'][$flow] ?? null;
        if ($provider === null || $cart['lines'] === []) {
            redirect('/cart');
        }
        $id = $orders->create($shopper, $flow, $provider, $cart['total'], $provider === 'payfect' ? 'usdt' : 'usd', $cart['lines']);
        redirect($shop->start($orders->find($id), $orders));
    }
    // Another session's order is answered as no order at all (404), whether seen or paid.
    if (preg_match('#^/orders/(ord_[0-9a-f]{16})(/pay)?$#', $path, $m) && ($order = $orders->findOwned($m[1], $shopper)) !== null) {
        if (($m[2] ?? '') === '/pay' && $order['flow'] === 'justifi_component') {
            // The component completed the checkout in the browser: read what it did.
            if ($method === 'POST') {
                if ($order['status'] !== 'paid') {
                    $shop->settle($order, $orders);
                }
                redirect("/orders/{$order['id']}");
            }
            if ($order['status'] === 'paid') {
                redirect("/orders/{$order['id']}");
            }
            $page('Pay by card', Views::componentPage($order['id'], (int) $order['amount'], $shop->component($order), $order['failure']), 200,
                '<script type="module" src="' . Views::e(Payments::componentScript()) . '"></script>');
        }
        if ($method === 'GET' && ($m[2] ?? '') === '') {
            $orders->markReturned($order['id']);
            if ($order['status'] !== 'paid') {
                $shop->refresh($order, $orders);
            }
            $order = $orders->find($order['id']);
            if ($order['status'] === 'paid') {
                $_SESSION['cart'] = [];
                $count = 0;
            }
            $page("Order {$order['id']}", Views::order($order));
        }
    }
    if ($method === 'GET' && $path === '/my-orders') {
        $page('Your orders', Views::orders($orders->ownedBy($shopper)));
    }
    if (($method === 'GET' && $path === '/orders') || ($method === 'POST' && preg_match('#^/orders/(ord_[0-9a-f]{16})/refund$#', $path, $m))) {
        if (!isAdmin($secrets)) {
            $page('Orders', '<p>The list of all orders is for the shop\'s admin. <a href="/my-orders">Your orders</a>.</p>', 401, '',
                ['WWW-Authenticate' => 'Basic realm="Donut Shop admin", charset="UTF-8"']);
        }
        // The admin's forms carry this session's token: the browser sends basic credentials
        // with a request another site's page makes, but that page cannot read the token, and
        // the session cookie (SameSite=Lax) does not go with its cross-site POST.
        $_SESSION['admin_csrf'] ??= bin2hex(random_bytes(32));
        if ($method === 'POST') {
            if (!hash_equals($_SESSION['admin_csrf'], (string) ($_POST['csrf'] ?? ''))) {
                $page('Orders', '<p>This form has expired. <a href="/orders">Reload the orders</a> and try again.</p>', 403);
            }
            $order = $orders->find($m[1]);
            if ($order === null) {
                $page('Not found', '<p>No such order. <a href="/orders">Back to the orders</a>.</p>', 404);
            }
            if (!preg_match('/^ref_[0-9a-f]{32}$/D', (string) ($_POST['refund_id'] ?? ''))) {
                respond(400, 'Bad request: refund_id must be the id the Refund form carries.');
            }
            $_SESSION['admin_notice'] = $shop->refund($order, $_POST['refund_id'], (string) ($_POST['amount'] ?? ''), $orders);
            redirect("/orders#order-{$order['id']}");
        }
        $notice = $_SESSION['admin_notice'] ?? null;
        unset($_SESSION['admin_notice']);
        $page('Orders', Views::adminOrders($orders->all(), $orders->refundsByOrder(), $_SESSION['admin_csrf'], $notice));
    }
    $page('Not found', '<p>No such page. <a href="/">Back to the shop</a>.</p>', 404);
} catch (CheckoutException $e) {
    error_log('checkout: ' . $e->getMessage());
    $page('Payment problem', Views::problem('We could not reach the payment provider: ' . $e->getMessage()), 502);
} catch (\Throwable $e) {
    // A page, not FPM's blank 500; the details go to the error log only.
    error_log('shop: ' . $e);
    $page('Something went wrong', Views::problem('Something went wrong on our side; please try again.'), 500);
}
