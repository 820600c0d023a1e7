<?php

declare(strict_types=1);

namespace Shop;

/**
 * The orders, in SQLite (PHP's pdo_sqlite). An order is keyed by its own id and by the
 * provider's object (checkout id or payment intent id), and every change is conditional, so
 * that a repeated webhook, a second visit to the return page or both at once change nothing:
 * the first to see the payment marks the order paid, with `paid_via` naming which.
 *
 * Each order belongs to the browser session that placed it (`owner`, a random token kept in
 * that session): only that session can see or pay it (`findOwned`); the admin view lists all.
 */
final class Orders
{
    private \PDO $db;

    public function __construct(string $path)
    {
        $this->db = new \PDO('sqlite:' . $path, null, null, [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION,
            \PDO::ATTR_DEFAULT_FETCH_MODE => \PDO::FETCH_ASSOC]);
        // Several PHP workers write at once (the shopper's browser and the provider's webhook).
        $this->db->exec('PRAGMA journal_mode = WAL');
        $this->db->exec('PRAGMA busy_timeout = 5000');
        $this->db->exec(<<<'SQL'
            CREATE TABLE IF NOT EXISTS orders (
                id TEXT PRIMARY KEY,
                flow TEXT NOT NULL,
                provider TEXT NOT NULL,
                amount INTEGER NOT NULL,           -- minor units
                currency TEXT NOT NULL,
                items TEXT NOT NULL,               -- JSON: the cart's lines
                checkout_id TEXT UNIQUE,
                payment_intent_id TEXT UNIQUE,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
                failure TEXT,
                paid_via TEXT,                     -- completion | return | webhook
                paid_at TEXT,
                returned_at TEXT,                  -- first visit of the return page
                created_at TEXT NOT NULL,
                owner TEXT                         -- the placing session's shopper token
            );
            CREATE TABLE IF NOT EXISTS provider_reads (
                order_id TEXT PRIMARY KEY,         -- at most one provider read per order per interval
                read_at REAL NOT NULL              -- Unix seconds of the last read
            );
            CREATE TABLE IF NOT EXISTS refunds (
                id TEXT PRIMARY KEY,               -- ref_...: the per-refund nonce of the admin's form
                order_id TEXT NOT NULL,
                amount INTEGER NOT NULL,           -- minor units; a full refund's, resolved before sending
                idempotency_key TEXT NOT NULL,     -- sent to JustiFi on every try of this refund
                refunded_before INTEGER NOT NULL,  -- the provider's refunded total before it (ReCharge's read-back)
                status TEXT NOT NULL CHECK (status IN ('sending', 'pending', 'succeeded', 'failed', 'refused')),
                provider_refund_id TEXT,
                message TEXT,                      -- the provider's or the library's words, for the admin
                claimed_at REAL,                   -- Unix seconds: when a worker began sending it
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS refunds_of_order ON refunds (order_id);
            CREATE TABLE IF NOT EXISTS webhook_events (
                event_key TEXT PRIMARY KEY,        -- provider:event id (or object id)
                provider TEXT NOT NULL,
                type TEXT NOT NULL,
                order_id TEXT,
                body TEXT NOT NULL,
                received_at TEXT NOT NULL
            );
            SQL);
        // A database from before orders had owners: its orders stay visible to the admin only.
        $columns = array_column($this->db->query('PRAGMA table_info(orders)')->fetchAll(), 'name');
        if (!in_array('owner', $columns, true)) {
            $this->db->exec('ALTER TABLE orders ADD COLUMN owner TEXT');
        }
        // A database from before refunds: its orders have refunded nothing.
        if (!in_array('refunded_amount', $columns, true)) {
            $this->db->exec('ALTER TABLE orders ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0');
        }
    }

    /**
     * A new pending order for the cart's lines.
     *
     * @param list<array<string, mixed>> $lines
     */
    public function create(string $owner, string $flow, string $provider, int $amount, string $currency, array $lines): string
    {
        $id = 'ord_' . bin2hex(random_bytes(8));
        $this->db->prepare('INSERT INTO orders (id, owner, flow, provider, amount, currency, items, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            ->execute([$id, $owner, $flow, $provider, $amount, $currency, json_encode($lines, JSON_THROW_ON_ERROR), self::now()]);
        return $id;
    }

    /** @return array<string, mixed>|null */
    public function find(string $id): ?array
    {
        $statement = $this->db->prepare('SELECT * FROM orders WHERE id = ?');
        $statement->execute([$id]);
        return $statement->fetch() ?: null;
    }

    /** The order `$id` when the session whose shopper token is `$owner` placed it, else null. */
    public function findOwned(string $id, string $owner): ?array
    {
        $statement = $this->db->prepare('SELECT * FROM orders WHERE id = ? AND owner = ?');
        $statement->execute([$id, $owner]);
        return $statement->fetch() ?: null;
    }

    /**
     * The orders of the session whose shopper token is `$owner`, newest first.
     *
     * @return list<array<string, mixed>>
     */
    public function ownedBy(string $owner): array
    {
        $statement = $this->db->prepare('SELECT * FROM orders WHERE owner = ? ORDER BY created_at DESC, id');
        $statement->execute([$owner]);
        return $statement->fetchAll();
    }

    /**
     * Whether the order's payment may be read from the provider now: true for at most one
     * caller per `$intervalS` seconds per order (the time of the read it grants is stored in
     * the same statement, so concurrent page loads cannot both get it).
     */
    public function claimProviderRead(string $id, float $intervalS): bool
    {
        $now = microtime(true);
        $statement = $this->db->prepare('INSERT INTO provider_reads (order_id, read_at) VALUES (?, ?)
            ON CONFLICT (order_id) DO UPDATE SET read_at = excluded.read_at WHERE provider_reads.read_at <= ?');
        $statement->execute([$id, $now, $now - $intervalS]);
        return $statement->rowCount() === 1;
    }

    /** The order of a provider object: a checkout id or a JustiFi payment intent id. */
    public function findByProviderObject(string $provider, string $objectId): ?array
    {
        $statement = $this->db->prepare('SELECT * FROM orders WHERE provider = ? AND (checkout_id = ? OR payment_intent_id = ?)');
        $statement->execute([$provider, $objectId, $objectId]);
        return $statement->fetch() ?: null;
    }

    /** @return list<array<string, mixed>> */
    public function all(): array
    {
        return $this->db->query('SELECT * FROM orders ORDER BY created_at DESC, id')->fetchAll();
    }

    public function attach(string $id, ?string $checkoutId, ?string $paymentIntentId): void
    {
        $this->db->prepare('UPDATE orders SET checkout_id = ?, payment_intent_id = ? WHERE id = ?')
            ->execute([$checkoutId, $paymentIntentId, $id]);
    }

    /** Marks the order paid unless it already is; true when this call did. */
    public function markPaid(string $id, string $via): bool
    {
        $statement = $this->db->prepare("UPDATE orders SET status = 'paid', paid_via = ?, paid_at = ?, failure = NULL
            WHERE id = ? AND status <> 'paid'");
        $statement->execute([$via, self::now(), $id]);
        return $statement->rowCount() === 1;
    }

    /** A declined attempt: the order stays payable. */
    public function markFailed(string $id, string $message): void
    {
        $this->db->prepare("UPDATE orders SET status = 'failed', failure = ?
            WHERE id = ? AND status <> 'paid'")->execute([$message, $id]);
    }

    public function markReturned(string $id): void
    {
        $this->db->prepare('UPDATE orders SET returned_at = ? WHERE id = ? AND returned_at IS NULL')
            ->execute([self::now(), $id]);
    }

    /** A refund by its id (the form's nonce), or null. */
    public function refund(string $id): ?array
    {
        $statement = $this->db->prepare('SELECT * FROM refunds WHERE id = ?');
        $statement->execute([$id]);
        return $statement->fetch() ?: null;
    }

    /**
     * The refunds of every order, oldest first, by order id.
     *
     * @return array<string, list<array<string, mixed>>>
     */
    public function refundsByOrder(): array
    {
        $byOrder = [];
        foreach ($this->db->query('SELECT * FROM refunds ORDER BY created_at, id')->fetchAll() as $refund) {
            $byOrder[$refund['order_id']][] = $refund;
        }
        return $byOrder;
    }

    /** The refund of `$orderId` not yet definite (sending or pending), if any. */
    public function unsettledRefund(string $orderId): ?array
    {
        $statement = $this->db->prepare("SELECT * FROM refunds WHERE order_id = ? AND status IN ('sending', 'pending')
            ORDER BY created_at LIMIT 1");
        $statement->execute([$orderId]);
        return $statement->fetch() ?: null;
    }

    /**
     * Stores a new refund of `$orderId` as being sent by this worker, before anything is sent,
     * so that its key outlives a crash or a lost answer; false when a refund with this id is
     * stored already (the same form posted twice), or another refund of the order is not yet
     * definite (one at a time: a full refund's amount depends on the ones before it).
     */
    public function startRefund(string $id, string $orderId, int $amount, string $key, int $refundedBefore): bool
    {
        $now = self::now();
        $statement = $this->db->prepare("INSERT INTO refunds
            (id, order_id, amount, idempotency_key, refunded_before, status, claimed_at, created_at, updated_at)
            SELECT ?, ?, ?, ?, ?, 'sending', ?, ?, ?
            WHERE NOT EXISTS (SELECT 1 FROM refunds WHERE id = ? OR (order_id = ? AND status IN ('sending', 'pending')))");
        $statement->execute([$id, $orderId, $amount, $key, $refundedBefore, microtime(true), $now, $now, $id, $orderId]);
        return $statement->rowCount() === 1;
    }

    /**
     * Claims a pending refund for sending again (with its stored key and amount): true for one
     * caller only. A refund left `sending` longer than `$staleS` seconds (its worker died
     * mid-call) may be claimed again too.
     */
    public function claimRefund(string $id, float $staleS): bool
    {
        $now = microtime(true);
        $statement = $this->db->prepare("UPDATE refunds SET status = 'sending', claimed_at = ?, updated_at = ?
            WHERE id = ? AND (status = 'pending' OR (status = 'sending' AND claimed_at < ?))");
        $statement->execute([$now, self::now(), $id, $now - $staleS]);
        return $statement->rowCount() === 1;
    }

    /**
     * Records what became of a refund (`pending`, `succeeded`, `failed` or `refused`) and the
     * order's refunded total (its succeeded refunds), in one transaction.
     */
    public function finishRefund(string $id, string $status, ?string $providerRefundId, ?string $message): void
    {
        $this->db->beginTransaction();
        try {
            $this->db->prepare('UPDATE refunds SET status = ?, provider_refund_id = COALESCE(?, provider_refund_id),
                message = ?, claimed_at = NULL, updated_at = ? WHERE id = ?')
                ->execute([$status, $providerRefundId, $message, self::now(), $id]);
            $this->db->prepare("UPDATE orders SET refunded_amount = (SELECT COALESCE(SUM(amount), 0) FROM refunds
                WHERE refunds.order_id = orders.id AND status = 'succeeded')
                WHERE id = (SELECT order_id FROM refunds WHERE id = ?)")
                ->execute([$id]);
            $this->db->commit();
        } catch (\Throwable $e) {
            $this->db->rollBack();
            throw $e;
        }
    }

    /** Records a verified webhook delivery; false when the same event was recorded before. */
    public function recordEvent(string $key, string $provider, string $type, ?string $orderId, string $body): bool
    {
        $statement = $this->db->prepare('INSERT OR IGNORE INTO webhook_events
            (event_key, provider, type, order_id, body, received_at) VALUES (?, ?, ?, ?, ?, ?)');
        $statement->execute([$key, $provider, $type, $orderId, $body, self::now()]);
        return $statement->rowCount() === 1;
    }

    private static function now(): string
    {
        return (new \DateTimeImmutable('now', new \DateTimeZone('UTC')))->format('Y-m-d\TH:i:s.u\Z');
    }
}
