<?php

declare(strict_types=1);

namespace StorefrontCheckout;

/**
 * The shared library, loaded once per process with FFI::cdef over the committed header
 * (include/storefront_checkout.h, its preprocessor lines removed, since FFI parses plain C
 * declarations only).
 *
 * The library is found at STOREFRONT_CHECKOUT_LIB, else in this package's lib/, and nowhere
 * else (a checkout of the repository sets STOREFRONT_CHECKOUT_LIB to its target/debug build);
 * the header at STOREFRONT_CHECKOUT_HEADER, else in this package's include/, else the
 * repository's include/.
 */
final class Library
{
    private static ?\FFI $ffi = null;

    /** The FFI scope of the header writePreloadHeader() writes. */
    public const SCOPE = 'STOREFRONT_CHECKOUT';

    /** The README section that says how to allow FFI under PHP-FPM. */
    public const FPM_SECTION = 'README.md, "PHP under PHP-FPM"';

    /**
     * The library: the scope `ffi.preload` declared at server start when there is one (see
     * writePreloadHeader(); the way for `ffi.enable=preload`, PHP's default), else loaded here
     * (which needs `ffi.enable=true`, or the CLI).
     *
     * @throws ConfigException when PHP has no FFI or its `ffi.enable` setting forbids it here
     *     (PHP-FPM's default): the message names the setting and the README section to read,
     *     so that `catch (CheckoutException)` sees it instead of a blank 500.
     */
    public static function ffi(): \FFI
    {
        if (self::$ffi === null) {
            if (!extension_loaded('ffi')) {
                throw self::restricted('PHP has no FFI extension (install or enable it, e.g. Debian\'s php-ffi)');
            }
            try {
                self::$ffi = \FFI::scope(self::SCOPE);
            } catch (\FFI\Exception) {
                try {
                    self::$ffi = \FFI::cdef(self::declarations(self::header()), self::path());
                } catch (\FFI\Exception $e) {
                    throw self::restricted('FFI is not allowed here (ffi.enable=' . ini_get('ffi.enable') . ': '
                        . $e->getMessage() . ')');
                }
            }
        }
        return self::$ffi;
    }

    /** The ConfigException for a PHP that cannot load the library through FFI. */
    private static function restricted(string $why): ConfigException
    {
        return new ConfigException(['status' => 5, 'code' => 'config', 'message' => "ffi: $why. Under PHP-FPM, set "
            . 'php_admin_value[ffi.enable] = true in the pool, or preload the library with ffi.preload: see '
            . self::FPM_SECTION]);
    }

    /**
     * Writes the header for `ffi.preload` (php.ini) to $path: the declarations with `FFI_SCOPE`
     * (SCOPE) and `FFI_LIB` (this package's library, an absolute path). With `ffi.preload`
     * pointing at it, the server declares the scope at start, every worker uses it through
     * `FFI::scope()`, and `ffi.enable` stays at PHP's default, `preload`. Run it once at deploy:
     * `php -r 'require "vendor/autoload.php"; StorefrontCheckout\Library::writePreloadHeader("/srv/shop/checkout.h");'`
     */
    public static function writePreloadHeader(string $path): void
    {
        $header = '#define FFI_SCOPE "' . self::SCOPE . "\"\n#define FFI_LIB \"" . self::path() . "\"\n"
            . self::declarations(self::header());
        if (file_put_contents($path, $header) === false) {
            throw new \RuntimeException("cannot write $path");
        }
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

    /** The header: STOREFRONT_CHECKOUT_HEADER, else the package's include/, else the repository's. */
    private static function header(): string
    {
        $candidates = array_filter([
            getenv('STOREFRONT_CHECKOUT_HEADER') ?: null,
            dirname(__DIR__) . '/include/storefront_checkout.h',
            self::repository() . '/include/storefront_checkout.h',
        ]);
        foreach ($candidates as $path) {
            $text = @file_get_contents($path);
            if ($text !== false) {
                return $text;
            }
        }
        throw new \RuntimeException('storefront_checkout.h not found; tried: ' . implode(', ', $candidates)
            . '. Install the storefront/checkout package, or set STOREFRONT_CHECKOUT_HEADER');
    }

    /**
     * The shared library: the file STOREFRONT_CHECKOUT_LIB names (a relative path is taken from
     * the working directory), else the package's lib/ (where the package archive puts it).
     * Never a directory found by searching above the package or the working directory, where
     * anyone who can write to it could plant a library whose constructor would run on load
     * (SECURITY.md, "Where the library is loaded from"). Not found, the exception lists the
     * paths tried and names STOREFRONT_CHECKOUT_LIB.
     */
    private static function path(): string
    {
        $name = PHP_OS_FAMILY === 'Darwin' ? 'libstorefront_checkout.dylib'
            : (PHP_OS_FAMILY === 'Windows' ? 'storefront_checkout.dll' : 'libstorefront_checkout.so');
        $env = getenv('STOREFRONT_CHECKOUT_LIB');
        // Made absolute so that dlopen never searches its own path list for a bare name.
        $candidate = $env ? (str_starts_with($env, '/') ? $env : getcwd() . '/' . $env) : dirname(__DIR__) . "/lib/$name";
        if (is_file($candidate)) {
            return $candidate;
        }
        throw new \RuntimeException("$name not found; tried: $candidate. Install the storefront/checkout package, or build "
            . "the library with `cargo build` and set STOREFRONT_CHECKOUT_LIB to its path (e.g. target/debug/$name)");
    }

    /** The repository this package sits in, when it is used from a checkout of it. */
    private static function repository(): string
    {
        return dirname(__DIR__, 3);
    }
}
