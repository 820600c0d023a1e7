<?php

declare(strict_types=1);

namespace Example;

/**
 * The orders, in one JSON file: FPM's workers are separate processes, so the file is read,
 * changed and written under an exclusive lock (flock). Enough for an example; a real shop
 * keeps its orders in its database (examples/storefront uses SQLite).
 *
 * An order: {id, checkout_id, amount (minor units), description, status (pending | paid |
 * failed | refunded), payment_id, refunds: {refund id: amount}}.
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
     * Applies a verified webhook event (docs/contract.md, "Event types"). JustiFi retries
     * deliveries, so an event already seen (by event_id) changes nothing.
     *
     * @param array<string, mixed> $event
     */
    public function apply(array $event): void
    {
        $this->change(function (array &$data) use ($event): void {
            $eventId = $event['event_id'];
            if ($eventId !== null) {
                if (isset($data['events'][$eventId])) {
                    return;
                }
                $data['events'][$eventId] = true;
            }
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
                        if ($refund['id'] === null || $order['payment_id'] !== $refund['payment_id']) {
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
        });
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
