<?php

declare(strict_types=1);

namespace StorefrontCheckout\Tests;

use PHPUnit\Framework\TestCase;

/**
 * Where the binding loads the library from: its package's lib/ and STOREFRONT_CHECKOUT_LIB,
 * never a target/ directory above the package (issue 18, item 4).
 */
final class LibrarySearchTest extends TestCase
{
    /** A shared object whose constructor leaves a marker file: what a planted library would do, harmlessly. */
    private const PLANTED_C = <<<'C'
        #include <stdio.h>
        #include <stdlib.h>
        __attribute__((constructor)) static void planted(void) {
            FILE *f = fopen(getenv("PLANTED_MARKER"), "w");
            if (f) { fputs("loaded", f); fclose(f); }
        }
        C;

    private string $root;

    protected function setUp(): void
    {
        $this->root = sys_get_temp_dir() . '/planted-' . bin2hex(random_bytes(6));
        mkdir("$this->root/build", 0700, true);
        file_put_contents("$this->root/build/planted.c", self::PLANTED_C);
        exec('gcc -shared -fPIC -o ' . escapeshellarg("$this->root/build/planted.so") . ' '
            . escapeshellarg("$this->root/build/planted.c") . ' 2>&1', $output, $status);
        $this->assertSame(0, $status, 'gcc built the planted library: ' . implode("\n", $output));
    }

    protected function tearDown(): void
    {
        exec('rm -rf ' . escapeshellarg($this->root));
    }

    /** Runs `Library::version()` from this binding's sources installed at $package, in $cwd. */
    private function version(string $package, string $cwd, array $env): array
    {
        $code = 'require $argv[1] . "/src/exceptions.php"; require $argv[1] . "/src/Library.php";'
            . ' echo StorefrontCheckout\Library::version();';
        $process = proc_open([PHP_BINARY, '-d', 'ffi.enable=true', '-r', $code, $package], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes, $cwd, $env);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        return [proc_close($process), $out];
    }

    public function testALibraryPlantedAboveThePackageIsNotLoaded(): void
    {
        // As Composer installs it: vendor/storefront/checkout, here without its lib/.
        $package = "$this->root/app/vendor/storefront/checkout";
        mkdir($package, 0700, true);
        exec('cp -r ' . escapeshellarg(dirname(__DIR__) . '/src') . ' ' . escapeshellarg($package));
        foreach (["$this->root/app/vendor", "$this->root/app"] as $above) {
            mkdir("$above/target/debug", 0700, true);
            copy("$this->root/build/planted.so", "$above/target/debug/libstorefront_checkout.so");
        }
        $env = getenv();
        unset($env['STOREFRONT_CHECKOUT_LIB']);
        $env['PLANTED_MARKER'] = "$this->root/marker";
        $env['STOREFRONT_CHECKOUT_HEADER'] = dirname(__DIR__, 3) . '/include/storefront_checkout.h';
        [$status, $out] = $this->version($package, "$this->root/app", $env);
        $this->assertFileDoesNotExist("$this->root/marker", 'the library planted above the package was loaded');
        $this->assertNotSame(0, $status);
        $this->assertStringContainsString("libstorefront_checkout.so not found; tried: $package/lib/libstorefront_checkout.so.", $out);
        $this->assertStringContainsString('set STOREFRONT_CHECKOUT_LIB', $out);
    }

    public function testTheConfiguredPathIsLoadedRelativeToTheWorkingDirectory(): void
    {
        mkdir("$this->root/lib");
        copy("$this->root/build/planted.so", "$this->root/lib/custom.so");
        $env = ['STOREFRONT_CHECKOUT_LIB' => 'lib/custom.so', 'PLANTED_MARKER' => "$this->root/marker",
            'STOREFRONT_CHECKOUT_HEADER' => dirname(__DIR__, 3) . '/include/storefront_checkout.h'] + getenv();
        $this->version(dirname(__DIR__), $this->root, $env);
        $this->assertSame('loaded', (string) @file_get_contents("$this->root/marker"));
    }
}
