<?php

declare(strict_types=1);

namespace Example;

/**
 * The orders, in one JSON file: FPM's workers are separate processes, so the file is read,
 * changed and written under an exclusive lock (flock). Enough for an example; a real shop
 * keeps its orders in its database (examples/storefront uses SQLite).
 *
 * An order: {id, checkout_id, amount (minor units), description, status (pending | paid |
 * failed | refunded), payment_id, refunds: {refund id: amount}, idempotency_key (of the
 * completion whose outcome is not known yet, sent again by the next one)}. Every change is
 * made inside change(), on the data read under the lock: an order read earlier and saved
 * whole would undo what another worker changed meanwhile (a webhook marking it paid).
 */
final class Orders
{
    public function __construct(private readonly string $path)
    {
    }

    /** @return array<string, mixed>|null */
    public function find(string $id): ?array
    {
        return $this->change(fn (array &$data) => $data['orders'][$id] ?? null);
    }

    /** @param array<string, mixed> $order */
    public function save(array $order): void
    {
        $this->change(function (array &$data) use ($order): void {
            $data['orders'][$order['id']] = $order;
        });
    }

    /**
     * The idempotency key of the order's next completion, saved on the order before the call
     * (the README's "Going to production"): the kept key of one whose outcome is unknown, else
     * a new one. Null when there is no such order.
     */
    public function completionKey(string $id): ?string
    {
        return $this->change(function (array &$data) use ($id): ?string {
            if (!isset($data['orders'][$id])) {
                return null;
            }
            return $data['orders'][$id]['idempotency_key'] ??= bin2hex(random_bytes(16));
        });
    }

    /**
     * Records what a completion answered: its payment, to find the order again from its
     * refunds; once its outcome is known, the key goes (another card needs another key).
     */
    public function completed(string $id, ?string $paymentId, bool $outcomeKnown): void
    {
        $this->change(function (array &$data) use ($id, $paymentId, $outcomeKnown): void {
            if ($paymentId !== null) {
                $data['orders'][$id]['payment_id'] = $paymentId;
            }
            if ($outcomeKnown) {
                $data['orders'][$id]['idempotency_key'] = null;
            }
        });
    }

    /** Records the payment of the order paid on JustiFi's hosted page, read from JustiFi. */
    public function paidWith(string $checkoutId, ?string $paymentId): void
    {
        $this->change(function (array &$data) use ($checkoutId, $paymentId): void {
            foreach ($data['orders'] as &$order) {
                if ($order['checkout_id'] === $checkoutId) {
                    $order['payment_id'] ??= $paymentId;
                }
            }
        });
    }

    /**
     * Applies a verified webhook event (docs/contract.md, "Event types"). JustiFi retries
     * deliveries, so an event already seen (by event_id) changes nothing. Returns the checkout
     * id of the order the event is about when it is paid and its payment unknown (paid on
     * JustiFi's hosted page, not through /complete): the caller reads it.
     *
     * @param array<string, mixed> $event
     */
    public function apply(array $event): ?string
    {
        return $this->change(function (array &$data) use ($event): ?string {
            $eventId = $event['event_id'];
            if ($eventId === null || !isset($data['events'][$eventId])) {
                if ($eventId !== null) {
                    $data['events'][$eventId] = true;
                }
                self::changeOrder($data, $event);
            }
            foreach ($data['orders'] as $order) {
                if ($order['checkout_id'] === $event['checkout_id'] && $order['status'] === 'paid'
                    && $order['payment_id'] === null) {
                    return $order['checkout_id'];
                }
            }
            return null;
        });
    }

    /**
     * Applies a new event to its order, in the data read under the lock.
     *
     * @param array<string, mixed> $data
     * @param array<string, mixed> $event
     */
    private static function changeOrder(array &$data, array $event): void
    {
        switch ($event['type']) {
            case 'payment.succeeded':
            case 'checkout.completed':
            case 'payment.failed':
                foreach ($data['orders'] as &$order) {
                    if ($order['checkout_id'] !== $event['checkout_id']) {
                        continue;
                    }
                    if ($event['type'] !== 'payment.failed') {
                        if (in_array($order['status'], ['pending', 'failed'], true)) {
                            $order['status'] = 'paid'; // a late delivery never undoes a refund
                        }
                    } elseif ($order['status'] === 'pending') {
                        $order['status'] = 'failed'; // the shopper may try again
                    }
                }
                break;
            case 'refund.created':
            case 'refund.updated':
                $refund = $event['refund'];
                foreach ($data['orders'] as &$order) {
                    // Never an order whose payment is not known yet.
                    if ($refund['id'] === null || $refund['payment_id'] === null
                        || $order['payment_id'] !== $refund['payment_id']) {
                        continue;
                    }
                    if ($refund['status'] === 'succeeded') {
                        $order['refunds'][$refund['id']] = $refund['amount'];
                    } else {
                        unset($order['refunds'][$refund['id']]);
                    }
                    if ($order['refunds'] && array_sum($order['refunds']) >= $order['amount']) {
                        $order['status'] = 'refunded';
                    }
                }
                break;
            default:
                // 'other': nothing an order acts on.
        }
    }

    /**
     * Runs $change on the file's data under an exclusive lock, writes the data back, and
     * returns what $change returned.
     *
     * @param callable(array<string, mixed>&): mixed $change
     */
    private function change(callable $change): mixed
    {
        $file = fopen($this->path, 'c+');
        if ($file === false || !flock($file, LOCK_EX)) {
            throw new \RuntimeException("cannot open and lock {$this->path}");
        }
        try {
            $text = stream_get_contents($file);
            $data = $text ? json_decode($text, true, flags: JSON_THROW_ON_ERROR) : ['orders' => [], 'events' => []];
            $result = $change($data);
            ftruncate($file, 0);
            rewind($file);
            fwrite($file, json_encode($data, JSON_THROW_ON_ERROR));
            return $result;
        } finally {
            flock($file, LOCK_UN);
            fclose($file);
        }
    }
}
