<?php

// The benchmark's PHP runners: `flow.php MODE BASE_URL PAYMENT_TOKEN CHECKOUTS`, MODE `library`
// (StorefrontCheckout over FFI) or `curl` (one reused curl handle); `library_per_checkout` and
// `curl_per_checkout` make a new Client or curl handle for every checkout, as a storefront
// does per web request. One checkout = create + complete; the token is fetched once. Several
// processes run side by side for the multi-worker figure, as PHP-FPM does. Over HTTPS when
// BASE_URL is `https://`, trusting the CA certificate in the PEM file BENCH_CA_BUNDLE. Prints
// one JSON line of figures.

declare(strict_types=1);

require_once __DIR__ . '/../bindings/php/src/exceptions.php';
require_once __DIR__ . '/../bindings/php/src/Library.php';
require_once __DIR__ . '/../bindings/php/src/Client.php';

[, $mode, $base, $pm, $checkouts] = $argv;
$checkouts = (int) $checkouts;
$donut = ['amount' => 1799, 'description' => 'One Chocolate Donut', 'origin_url' => 'http://localhost:3000'];
$credentials = ['client_id' => 'test_sandbox_client_id', 'client_secret' => 'test_sandbox_client_secret'];
$subAccount = 'acc_5Et9iXrSSAZR2KSouQGAWi';
$ca = getenv('BENCH_CA_BUNDLE') ?: null;

if (str_starts_with($mode, 'library')) {
    $config = ['provider' => 'justifi', 'base_url' => $base, 'sub_account' => $subAccount] + $credentials
        + ($ca === null ? [] : ['ca_bundle_path' => $ca]);
    $shared = new StorefrontCheckout\Client($config);
    $perCheckout = $mode === 'library_per_checkout';
    $one = static function () use ($shared, $config, $perCheckout, $donut, $pm): void {
        $client = $perCheckout ? new StorefrontCheckout\Client($config) : $shared;
        $checkout = $client->create($donut);
        $done = $client->complete(['checkout_id' => $checkout['id'], 'payment_token' => $pm]);
        assert($done['payment_status'] === 'succeeded');
    };
} else {
    $handle = curl_init();
    $perCheckout = $mode === 'curl_per_checkout';
    $post = static function (\CurlHandle $curl, string $path, array $body, array $headers) use ($base, $ca): array {
        curl_setopt_array($curl, [
            CURLOPT_URL => $base . $path, CURLOPT_POST => true, CURLOPT_POSTFIELDS => json_encode($body),
            CURLOPT_HTTPHEADER => array_merge(['Content-Type: application/json'], $headers), CURLOPT_RETURNTRANSFER => true,
        ] + ($ca === null ? [] : [CURLOPT_CAINFO => $ca]));
        return json_decode((string) curl_exec($curl), true);
    };
    $token = $post($handle, '/oauth/token', $credentials, [])['access_token'];
    $headers = ["Authorization: Bearer $token", "Sub-Account: $subAccount"];
    $one = static function () use ($post, $handle, $perCheckout, $headers, $donut, $pm): void {
        $curl = $perCheckout ? curl_init() : $handle;
        // An Idempotency-Key on every POST, as JustiFi's docs advise (and the library does).
        $checkout = $post($curl, '/v1/checkouts', $donut, array_merge($headers, ['Idempotency-Key: ' . bin2hex(random_bytes(16))]))['data'];
        $key = bin2hex(random_bytes(16));
        $done = $post($curl, "/v1/checkouts/{$checkout['id']}/complete", ['payment_token' => $pm, 'payment_mode' => 'ecom'],
            array_merge($headers, ["Idempotency-Key: $key"]))['data'];
        assert($done['payment_status'] === 'succeeded');
    };
}

for ($i = 0; $i < min(100, $checkouts); $i++) {
    $one();
}
$latencies = [];
$started = hrtime(true);
for ($i = 0; $i < $checkouts; $i++) {
    $t = hrtime(true);
    $one();
    $latencies[] = (hrtime(true) - $t) / 1000;
}
$elapsed = (hrtime(true) - $started) / 1e9;
sort($latencies);
$pick = static fn (float $q): float => $latencies[min(count($latencies) - 1, (int) (count($latencies) * $q))];
$names = ['library' => 'library, PHP (FFI)', 'curl' => 'PHP curl, reused handle',
    'library_per_checkout' => 'library, PHP, new Client per checkout', 'curl_per_checkout' => 'PHP curl, new handle per checkout'];
echo json_encode(['runner' => $names[$mode], 'threads' => 1,
    'checkouts' => count($latencies), 'median_us' => $pick(0.5), 'p99_us' => $pick(0.99), 'per_sec' => $checkouts / $elapsed,
    'elapsed_s' => $elapsed]), "\n";
