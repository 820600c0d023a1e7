<?php

// A storefront's checkout code in PHP: the seed flows against the sandbox.
//
//     php examples/storefront.php http://127.0.0.1:8088
//
// JustiFi (the donut checkout), ReCharge (seed 002) and Payfect (seed 004), each printing
// where the shopper goes and how the payment ended.

declare(strict_types=1);

require_once __DIR__ . '/../src/exceptions.php';
require_once __DIR__ . '/../src/Library.php';
require_once __DIR__ . '/../src/Client.php';

use StorefrontCheckout\Client;

$base = $argv[1] ?? 'http://127.0.0.1:8088';

/** What the shopper's browser does: the web component tokenizing a card, a Pay button. */
function post(string $url, ?array $body = null, ?string $token = null): ?array
{
    $headers = ['Content-Type: application/json'];
    if ($token !== null) {
        $headers[] = "Authorization: Bearer $token";
    }
    $context = stream_context_create(['http' => ['method' => 'POST', 'header' => $headers,
        'content' => $body === null ? '' : json_encode($body), 'follow_location' => 0, 'ignore_errors' => true]]);
    return json_decode((string) file_get_contents($url, false, $context), true);
}

$justifi = new Client(['provider' => 'justifi', 'base_url' => $base, 'hosted_base_url' => $base,
    'client_id' => 'test_sandbox_client_id', 'client_secret' => 'test_sandbox_client_secret',
    'sub_account' => 'acc_5Et9iXrSSAZR2KSouQGAWi']);
$checkout = $justifi->create(['amount' => 1799, 'description' => 'One Chocolate Donut', 'origin_url' => 'http://localhost:3000']);
$component = $justifi->webComponentToken($checkout['id']);
echo 'justifi redirect: ', $justifi->redirectUrl(['checkout_id' => $checkout['id']])['url'], "\n";
$card = ['payment_method' => ['card' => ['number' => '4242424242424242', 'month' => '12', 'year' => '2031']]];
$token = post("$base/v1/payment_methods", $card, $component['access_token'])['data']['id'];
$completion = $justifi->complete(['checkout_id' => $checkout['id'], 'payment_token' => $token]);
echo 'justifi completion: ', $completion['id'], ' ', $completion['payment_status'], "\n";

$recharge = new Client(['provider' => 'recharge', 'base_url' => $base, 'hosted_base_url' => $base,
    'api_token' => 'test_recharge_token']);
$subscription = $recharge->create(['provider_options' => ['line_items' => [[
    'charge_interval_frequency' => 5, 'order_interval_frequency' => 5, 'order_interval_unit' => 'day',
    'product_id' => 1255183683, 'variant_id' => 3844924611, 'quantity' => 6]]]]);
echo 'recharge redirect: ', $recharge->redirectUrl(['checkout_id' => $subscription['id']])['url'], "\n";
$charge = $recharge->complete(['checkout_id' => $subscription['id'], 'payment_token' => 'tok_visa']);
echo 'recharge completion: ', $charge['payment_id'], ' ', $charge['payment_status'], "\n";

$payfect = new Client(['provider' => 'payfect', 'base_url' => $base, 'api_key' => 'test_payfect_key']);
$crypto = $payfect->create(['currency' => 'usdt', 'line_items' => [
    ['name' => 'Standard Plan', 'description' => 'A standard plan', 'unit_amount' => 2050, 'quantity' => 1]],
    'success_url' => 'https://example.com/success', 'cancel_url' => 'https://example.com/cancel']);
$url = $payfect->redirectUrl(['checkout_id' => $crypto['id']])['url'];
echo "payfect redirect: $url\n";
post($url);
echo 'payfect completion: ', $crypto['id'], ' ', $payfect->get($crypto['id'])['payment_status'], "\n";
