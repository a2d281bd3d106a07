<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Integration;

use PHPUnit\Framework\TestCase;

/**
 * bin/build-zip.sh produces an archive PrestaShop's module installer accepts.
 */
final class BuildZipTest extends TestCase
{
    private string $zipPath;

    protected function setUp(): void
    {
        self::assertTrue(class_exists(\ZipArchive::class), 'PHP zip extension required (Debian package php-zip)');
        $this->zipPath = sys_get_temp_dir() . '/fulfillment_connector-' . bin2hex(random_bytes(4)) . '.zip';
    }

    protected function tearDown(): void
    {
        @unlink($this->zipPath);
    }

    public function testTheArchiveHasTheLayoutOfAnInstallablePrestaShopModule(): void
    {
        $script = dirname(__DIR__, 3) . '/bin/build-zip.sh';
        exec('bash ' . escapeshellarg($script) . ' ' . escapeshellarg($this->zipPath) . ' 2>&1', $output, $status);
        self::assertSame(0, $status, implode("\n", $output));

        $zip = new \ZipArchive();
        self::assertTrue($zip->open($this->zipPath));
        $names = [];
        for ($i = 0; $i < $zip->numFiles; ++$i) {
            $names[] = (string) $zip->getNameIndex($i);
        }

        // One top-level folder named after the module.
        $topLevel = array_unique(array_map(static fn (string $name): string => explode('/', $name)[0], $names));
        self::assertSame(['fulfillment_connector'], array_values($topLevel));
        foreach (['fulfillment_connector.php', 'logo.png', 'index.php', 'autoload.php', 'controllers/front/cron.php', 'controllers/front/carttotal.php', 'upgrade/upgrade-1.1.0.php', 'views/templates/admin/status.tpl'] as $file) {
            self::assertContains('fulfillment_connector/' . $file, $names);
        }

        // An index.php in every folder.
        $folders = ['fulfillment_connector'];
        foreach ($names as $name) {
            $parts = explode('/', rtrim($name, '/'));
            for ($depth = 1; $depth < count($parts) + (str_ends_with($name, '/') ? 1 : 0); ++$depth) {
                $folders[] = implode('/', array_slice($parts, 0, $depth));
            }
        }
        foreach (array_unique($folders) as $folder) {
            self::assertContains($folder . '/index.php', $names, $folder . ' has no index.php');
        }
        self::assertContains('fulfillment_connector/src/Service/index.php', $names);

        // Nothing from development.
        foreach ($names as $name) {
            self::assertDoesNotMatchRegularExpression('#(^|/)(\.|tests/|phpunit|phpcs|README)#', $name);
        }

        // A real 32x32 PNG logo.
        $logo = getimagesizefromstring((string) $zip->getFromName('fulfillment_connector/logo.png'));
        self::assertSame([32, 32, 'image/png'], [$logo[0] ?? null, $logo[1] ?? null, $logo['mime'] ?? null]);

        // Every PHP file but the redirecting index.php files is guarded against direct access.
        foreach ($names as $name) {
            if (str_ends_with($name, '.php') && !str_ends_with($name, '/index.php')) {
                self::assertStringContainsString("if (!defined('_PS_VERSION_')) {", (string) $zip->getFromName($name), $name);
            }
        }

        // The main file declares the module PrestaShop will look for.
        $main = (string) $zip->getFromName('fulfillment_connector/fulfillment_connector.php');
        self::assertMatchesRegularExpression('/class Fulfillment_connector extends PaymentModule/', $main);
        self::assertStringContainsString("\$this->name = 'fulfillment_connector';", $main);
        $zip->close();
    }
}
