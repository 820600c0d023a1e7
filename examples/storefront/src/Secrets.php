<?php

declare(strict_types=1);

namespace Shop;

/**
 * The shop's secrets: the providers' credentials, the webhook signing secrets and the admin
 * password, from the PHP file `SHOP_SECRETS_FILE` names, which returns an array of name =>
 * value. That file is readable by the pool's user only (examples/storefront/run writes it
 * 0600, owned by that user), so that the secrets are in no process environment, no
 * configuration file other users can read and no `phpinfo()`. No value is ever put in an
 * error or a log line.
 */
final class Secrets
{
    /** @param array<string, string> $values */
    private function __construct(private readonly array $values)
    {
    }

    /** Reads `$path`; a missing or malformed file is a `\RuntimeException` naming the path only. */
    public static function load(string $path): self
    {
        if ($path === '' || !is_file($path) || !is_readable($path)) {
            throw new \RuntimeException("the secrets file ($path) is not readable by the shop's PHP workers");
        }
        $values = (static fn (string $file): mixed => require $file)($path);
        if (!is_array($values) || array_filter($values, static fn ($v, $k) => !is_string($k) || !is_string($v), ARRAY_FILTER_USE_BOTH)) {
            throw new \RuntimeException("the secrets file ($path) must return an array of name => string");
        }
        return new self($values);
    }

    /** The value of `$name`, or null when the file has none (or an empty one). */
    public function get(string $name): ?string
    {
        $value = $this->values[$name] ?? '';
        return $value === '' ? null : $value;
    }
}
