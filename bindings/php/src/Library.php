<?php

declare(strict_types=1);

namespace StorefrontCheckout;

/**
 * The shared library, loaded once per process with FFI::cdef over the committed header
 * (include/storefront_checkout.h, its preprocessor lines removed, since FFI parses plain C
 * declarations only).
 *
 * The library is found at STOREFRONT_CHECKOUT_LIB, else in the repository's target/release
 * or target/debug; the header at STOREFRONT_CHECKOUT_HEADER, else the repository's include/.
 */
final class Library
{
    private static ?\FFI $ffi = null;

    public static function ffi(): \FFI
    {
        return self::$ffi ??= \FFI::cdef(self::declarations(self::header()), self::path());
    }

    /** The library's version, e.g. "0.1.0". */
    public static function version(): string
    {
        return self::ffi()->checkout_version();
    }

    /** The header's C declarations, without `#` lines and the C++-only blocks. */
    public static function declarations(string $header): string
    {
        $out = [];
        $skipping = false;
        foreach (explode("\n", $header) as $line) {
            $trimmed = trim($line);
            if (str_starts_with($trimmed, '#ifdef __cplusplus')) {
                $skipping = true;
                continue;
            }
            if ($skipping) {
                $skipping = !str_starts_with($trimmed, '#endif');
                continue;
            }
            if (!str_starts_with($trimmed, '#')) {
                $out[] = $line;
            }
        }
        return implode("\n", $out);
    }

    private static function header(): string
    {
        $path = getenv('STOREFRONT_CHECKOUT_HEADER') ?: self::repository() . '/include/storefront_checkout.h';
        $text = @file_get_contents($path);
        if ($text === false) {
            throw new \RuntimeException("storefront_checkout.h not found at $path; set STOREFRONT_CHECKOUT_HEADER");
        }
        return $text;
    }

    private static function path(): string
    {
        $env = getenv('STOREFRONT_CHECKOUT_LIB');
        if ($env) {
            return $env;
        }
        $name = PHP_OS_FAMILY === 'Darwin' ? 'libstorefront_checkout.dylib'
            : (PHP_OS_FAMILY === 'Windows' ? 'storefront_checkout.dll' : 'libstorefront_checkout.so');
        foreach (['release', 'debug'] as $profile) {
            $candidate = self::repository() . "/target/$profile/$name";
            if (is_file($candidate)) {
                return $candidate;
            }
        }
        throw new \RuntimeException("$name not found: build it with `cargo build` or set STOREFRONT_CHECKOUT_LIB");
    }

    private static function repository(): string
    {
        return dirname(__DIR__, 3);
    }
}
