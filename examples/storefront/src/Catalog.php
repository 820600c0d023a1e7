<?php

declare(strict_types=1);

namespace Shop;

/**
 * The shop's products. Prices are integers in minor units (cents of USD). The ReCharge ids are
 * the product and variant of the store's catalogue that a ReCharge checkout line item names
 * (seed 002); the sandbox accepts any.
 */
final class Catalog
{
    /** @var array<string, array{name: string, description: string, price: int, recharge_product_id: int, recharge_variant_id: int}> */
    public const PRODUCTS = [
        'chocolate-donut' => ['name' => 'Chocolate Donut', 'description' => 'One chocolate donut, glazed that morning.',
            'price' => 1799, 'recharge_product_id' => 1255183683, 'recharge_variant_id' => 3844924611],
        'coffee-beans' => ['name' => 'Coffee Beans, 1 lb', 'description' => 'Medium roast, whole bean.',
            'price' => 1450, 'recharge_product_id' => 1255183684, 'recharge_variant_id' => 3844924612],
        'donut-box' => ['name' => 'Donut Box', 'description' => 'A dozen of the day\'s donuts.',
            'price' => 2400, 'recharge_product_id' => 1255183685, 'recharge_variant_id' => 3844924613],
    ];

    /**
     * The cart's lines with their products, and the total in cents.
     *
     * @param array<string, int> $cart product id => quantity
     * @return array{lines: list<array{id: string, name: string, description: string, price: int, quantity: int, recharge_product_id: int, recharge_variant_id: int}>, total: int}
     */
    public static function lines(array $cart): array
    {
        $lines = [];
        $total = 0;
        foreach ($cart as $id => $quantity) {
            if (!isset(self::PRODUCTS[$id]) || $quantity < 1) {
                continue;
            }
            $lines[] = ['id' => $id, 'quantity' => $quantity] + self::PRODUCTS[$id];
            $total += self::PRODUCTS[$id]['price'] * $quantity;
        }
        return ['lines' => $lines, 'total' => $total];
    }

    /**
     * The minor units of an amount as an admin types it in major units, exactly (no float):
     * 1799 for "17.99", "$17.99" or " 17.99 ", 500 for "5", "5.0" or "5.00"; null for anything
     * else (more than two decimals, a sign, letters, more than 9 digits of major units). The
     * inverse of money(): two decimals, as every currency this shop charges in has.
     */
    public static function minorUnits(string $typed): ?int
    {
        if (!preg_match('/^\s*\$?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/D', $typed, $m)) {
            return null;
        }
        return (int) $m[1] * 100 + (int) str_pad($m[2] ?? '', 2, '0');
    }

    /** "$17.99" for 1799 cents. */
    public static function money(int $cents, string $currency = 'usd'): string
    {
        $amount = intdiv($cents, 100) . '.' . str_pad((string) ($cents % 100), 2, '0', STR_PAD_LEFT);
        return $currency === 'usd' ? "\$$amount" : $amount . ' ' . strtoupper($currency);
    }
}
