<?php

// The shop's front controller: the web server sends every request here (examples/storefront/run
// configures nginx and PHP-FPM so). SHOP_BASE_URL is the shop's public origin; SHOP_DATA_DIR
// holds the SQLite database and the sessions.

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';

use Shop\Catalog;
use Shop\Orders;
use Shop\Payments;
use Shop\Views;
use StorefrontCheckout\CheckoutException;

$data = getenv('SHOP_DATA_DIR') ?: __DIR__ . '/../var';
@mkdir("$data/sessions", 0700, true);
$orders = new Orders("$data/shop.sqlite");
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

// The provider's webhooks carry no session.
if ($method === 'POST' && preg_match('#^/webhooks/(justifi|recharge|payfect)$#', $path, $m)) {
    $status = Payments::webhook($m[1], getallheaders(), (string) file_get_contents('php://input'), $orders);
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode(['received' => $status === 200]);
    exit;
}

session_save_path("$data/sessions");
session_start(['cookie_httponly' => true, 'cookie_samesite' => 'Lax']);
$_SESSION['cart'] ??= [];
$cart = Catalog::lines($_SESSION['cart']);
$count = array_sum(array_column($cart['lines'], 'quantity'));
$page = static function (string $title, string $body, int $status = 200, string $head = '') use (&$count): never {
    respond($status, Views::page($title, $body, $count, $head));
};
// The shop's public origin, for the return and webhook URLs handed to providers: configured,
// never taken from the request's Host header (which a client chooses, and which Debian's
// nginx passes without its port).
$origin = getenv('SHOP_BASE_URL');
if ($origin === false || $origin === '') {
    respond(500, 'SHOP_BASE_URL is not set: give the shop its public origin, e.g. https://shop.example.com');
}
$shop = new Payments(rtrim($origin, '/'));

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
        $id = $orders->create($flow, $provider, $cart['total'], $provider === 'payfect' ? 'usdt' : 'usd', $cart['lines']);
        redirect($shop->start($orders->find($id), $orders));
    }
    if (preg_match('#^/orders/(ord_[0-9a-f]{16})(/pay)?$#', $path, $m) && ($order = $orders->find($m[1])) !== null) {
        if (($m[2] ?? '') === '/pay' && $order['flow'] === 'justifi_component') {
            if ($method === 'POST') {
                if (($_POST['payment_method_id'] ?? '') !== '' && $order['status'] !== 'paid') {
                    $shop->complete($order, $_POST['payment_method_id'], $orders);
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
    if ($method === 'GET' && $path === '/orders') {
        $page('Orders', Views::orders($orders->all()));
    }
    $page('Not found', '<p>No such page. <a href="/">Back to the shop</a>.</p>', 404);
} catch (CheckoutException $e) {
    error_log('checkout: ' . $e->getMessage());
    $page('Payment problem', Views::problem('We could not reach the payment provider: ' . $e->getMessage()), 502);
}
