<?php

declare(strict_types=1);

namespace Shop;

/** The shop's pages: plain HTML, every value escaped. */
final class Views
{
    public static function e(mixed $value): string
    {
        return htmlspecialchars((string) $value, ENT_QUOTES | ENT_HTML5, 'UTF-8');
    }

    /** The page around `$body`; `$head` adds to the head (the component's script). */
    public static function page(string $title, string $body, int $cartCount, string $head = ''): string
    {
        $t = self::e($title);
        return <<<HTML
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>$t · Donut Shop</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
              body { font-family: system-ui, sans-serif; max-width: 56rem; margin: 0 auto; padding: 0 1rem; color: #222; }
              header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #ddd; }
              header a { color: #222; text-decoration: none; margin-left: 1rem; }
              .products { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
              .product, .panel { border: 1px solid #ddd; border-radius: .5rem; padding: 1rem; }
              table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .4rem; border-bottom: 1px solid #eee; }
              button { padding: .5rem .9rem; border-radius: .4rem; border: 1px solid #555; background: #fff; cursor: pointer; }
              .pay button { display: block; width: 100%; margin: .4rem 0; text-align: left; }
              .status { font-size: 1.3rem; padding: .8rem; border-radius: .4rem; }
              .paid { background: #e3f6e3; } .failed { background: #fde4e4; } .pending { background: #fff5d6; }
            </style>$head</head>
            <body><header><h1><a href="/">Donut Shop</a></h1>
            <nav><a href="/my-orders" id="my-orders-link">Your orders</a><a href="/cart" id="cart-link">Cart ($cartCount)</a></nav></header>
            <main><h2>$t</h2>$body</main></body></html>
            HTML;
    }

    public static function products(): string
    {
        $cards = '';
        foreach (Catalog::PRODUCTS as $id => $p) {
            $cards .= '<div class="product"><h3>' . self::e($p['name']) . '</h3><p>' . self::e($p['description'])
                . '</p><p>' . Catalog::money($p['price']) . '</p><form method="post" action="/cart/add">'
                . '<input type="hidden" name="product" value="' . self::e($id) . '">'
                . '<button type="submit" id="add-' . self::e($id) . '">Add to cart</button></form></div>';
        }
        return "<div class=\"products\">$cards</div>";
    }

    /** @param array{lines: list<array<string, mixed>>, total: int} $cart */
    public static function cart(array $cart): string
    {
        if ($cart['lines'] === []) {
            return '<p id="empty-cart">Your cart is empty. <a href="/">See the donuts</a>.</p>';
        }
        $rows = '';
        foreach ($cart['lines'] as $line) {
            $rows .= '<tr><td>' . self::e($line['name']) . '</td><td>' . $line['quantity'] . '</td><td>'
                . Catalog::money($line['price'] * $line['quantity']) . '</td></tr>';
        }
        $flows = [
            'justifi_hosted' => 'Pay by card on JustiFi’s checkout page',
            'justifi_session' => 'Pay by card in a JustiFi checkout session',
            'justifi_component' => 'Pay by card here (JustiFi web component)',
            'recharge' => 'Subscribe monthly with ReCharge',
            'payfect' => 'Pay with USDT (Payfect)',
        ];
        $buttons = '';
        foreach ($flows as $flow => $label) {
            $buttons .= "<button type=\"submit\" name=\"flow\" value=\"$flow\" id=\"pay-$flow\">" . self::e($label) . '</button>';
        }
        return "<table id=\"cart\"><tr><th>Item</th><th>Qty</th><th>Price</th></tr>$rows"
            . '<tr><th colspan="2">Total</th><th id="cart-total">' . Catalog::money($cart['total']) . '</th></tr></table>'
            . "<form method=\"post\" action=\"/checkout\" class=\"pay panel\"><h3>Checkout</h3>$buttons</form>";
    }

    /** The shop's card page: JustiFi's `<justifi-checkout>` and the form it submits. */
    public static function componentPage(string $orderId, int $amount, string $component, ?string $failure): string
    {
        $id = self::e($orderId);
        $total = Catalog::money($amount);
        $error = $failure === null ? '' : '<p class="status failed" id="payment-failure">' . self::e($failure) . '</p>';
        return <<<HTML
            <p>Order $id · <span id="order-total">$total</span></p>
            $error<div class="panel">$component</div>
            <p class="status failed" id="component-error" hidden></p>
            <form method="post" action="/orders/$id/pay" id="read-form"></form>
            <script>
              // JustiFi's component completes the checkout itself and then emits submit-event,
              // a declined card included (@justifi/webcomponents: checkout-actions.js). Its
              // detail is the browser's word, so nothing of it is sent: the shop's server reads
              // the checkout and shows paid or failed. A completion refused or unanswered
              // (complete-checkout-error) or already done may still have paid: read it too.
              const component = document.querySelector('justifi-checkout');
              const read = () => document.getElementById('read-form').submit();
              component.addEventListener('submit-event', read);
              component.addEventListener('error-event', (event) => {
                const code = event.detail && event.detail.errorCode;
                if (code === 'complete-checkout-error' || code === 'checkout-already-completed') {
                  read();
                  return;
                }
                const shown = document.getElementById('component-error');
                shown.textContent = (event.detail && event.detail.message) || 'The card form reported an error (' + code + ').';
                shown.hidden = false;
              });
            </script>
            HTML;
    }

    /** @param array<string, mixed> $order */
    public static function order(array $order): string
    {
        $id = self::e($order['id']);
        $status = match ($order['status']) {
            'paid' => "<p class=\"status paid\" id=\"order-status\">Thank you! Order $id is paid.</p>",
            'failed' => '<p class="status failed" id="order-status">Payment failed: ' . self::e($order['failure'])
                . '</p>' . ($order['flow'] === 'justifi_component' ? "<p><a href=\"/orders/$id/pay\" id=\"retry\">Try another card</a></p>" : ''),
            default => "<p class=\"status pending\" id=\"order-status\">Payment pending: we will mark order $id paid as soon as the provider confirms it.</p>",
        };
        return $status . '<p>' . Catalog::money((int) $order['amount'], $order['currency']) . ' · ' . self::e($order['flow']) . '</p>';
    }

    /**
     * A shopper's own orders, each linked to its page (adminOrders() is the admin's table,
     * without links: another session's order page answers 404).
     *
     * @param list<array<string, mixed>> $orders
     */
    public static function orders(array $orders): string
    {
        $rows = '';
        foreach ($orders as $o) {
            $id = self::e($o['id']);
            $rows .= "<tr><td><a href=\"/orders/$id\">$id</a></td><td>"
                . self::e($o['flow']) . '</td><td>' . Catalog::money((int) $o['amount'], $o['currency']) . '</td><td class="order-status">'
                . self::e($o['status']) . '</td><td>' . self::e($o['paid_via'] ?? '') . '</td></tr>';
        }
        return "<table id=\"orders\"><tr><th>Order</th><th>Flow</th><th>Amount</th><th>Status</th><th>Paid via</th></tr>$rows</table>";
    }

    /**
     * The admin's table of every order: what was refunded of each, and for a paid order that
     * can be refunded a Refund form (an amount in dollars, empty for all that is left), each
     * form with a fresh refund id (`ref_...`, the nonce the refund's idempotency key is made
     * from) and the admin session's CSRF token; a pending refund instead gets a Retry button
     * posting its own id again. `$notice` is the outcome of the last refund, shown above.
     *
     * @param list<array<string, mixed>> $orders
     * @param array<string, list<array<string, mixed>>> $refunds by order id
     */
    public static function adminOrders(array $orders, array $refunds, string $csrf, ?string $notice): string
    {
        $token = '<input type="hidden" name="csrf" value="' . self::e($csrf) . '">';
        $rows = '';
        foreach ($orders as $o) {
            $id = self::e($o['id']);
            $refunded = (int) $o['refunded_amount'];
            $state = $refunded === 0 ? '' : ($refunded >= (int) $o['amount'] ? 'refunded' : 'partly refunded');
            $history = '';
            $pending = null;
            foreach ($refunds[$o['id']] ?? [] as $refund) {
                $history .= '<li class="refund-' . self::e($refund['status']) . '">' . self::e(Payments::describe($refund)) . '</li>';
                if (in_array($refund['status'], ['sending', 'pending'], true)) {
                    $pending = $refund;
                }
            }
            $blocker = $o['status'] === 'paid' ? Payments::refundBlocker($o) : null;
            $action = match (true) {
                $o['status'] !== 'paid' => '',
                $pending !== null => "<form method=\"post\" action=\"/orders/$id/refund\" class=\"refund\">$token"
                    . '<input type="hidden" name="refund_id" value="' . self::e($pending['id']) . '">'
                    . "<button type=\"submit\" id=\"retry-refund-$id\">Retry refund</button></form>",
                $blocker !== null => '<span class="refund-blocked">' . self::e($blocker) . '</span>',
                default => "<form method=\"post\" action=\"/orders/$id/refund\" class=\"refund\">$token"
                    . '<input type="hidden" name="refund_id" value="ref_' . bin2hex(random_bytes(16)) . '">'
                    . "<label>\$ <input name=\"amount\" id=\"refund-amount-$id\" inputmode=\"decimal\" size=\"8\" "
                    . 'placeholder="all that is left" aria-label="Amount to refund, in dollars; empty for all that is left"></label> '
                    . "<button type=\"submit\" id=\"refund-$id\">Refund</button></form>",
            };
            $rows .= "<tr id=\"order-$id\"><td>$id</td><td>" . self::e($o['flow']) . '</td><td>'
                . Catalog::money((int) $o['amount'], $o['currency']) . '</td><td class="order-status">' . self::e($o['status'])
                . '</td><td>' . self::e($o['paid_via'] ?? '') . '</td><td class="refunded">'
                . ($refunded === 0 ? '' : Catalog::money($refunded, $o['currency']) . " <span class=\"refund-state\">$state</span>")
                . ($history === '' ? '' : "<ul>$history</ul>") . "</td><td>$action</td></tr>";
        }
        $shown = $notice === null ? '' : '<p class="status pending" id="refund-notice">' . self::e($notice) . '</p>';
        return "$shown<table id=\"orders\"><tr><th>Order</th><th>Flow</th><th>Amount</th><th>Status</th><th>Paid via</th>"
            . "<th>Refunded</th><th>Refund</th></tr>$rows</table>";
    }

    public static function problem(string $message): string
    {
        return '<p class="status failed" id="problem">' . self::e($message) . '</p><p><a href="/cart">Back to the cart</a></p>';
    }
}
