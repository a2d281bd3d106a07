#!/usr/bin/env bash
# Builds the installable module archive: dist/fulfillment_connector.zip, or the path given as $1.
#
# The archive has the layout PrestaShop's module installer expects: one top-level folder
# fulfillment_connector/ holding fulfillment_connector.php, logo.png, and an index.php in every
# folder. Dev files (tests, dotfiles, editor leftovers) are never shipped; they live outside the
# module folder anyway. Needs PHP's zip extension (Debian package php-zip). Set SOURCE_DATE_EPOCH for
# a byte-reproducible archive.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/dist/fulfillment_connector.zip}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

"${PHP_BIN:-php}" -d error_reporting=-1 -d display_errors=stderr -- "$root/fulfillment_connector" "$out" <<'PHP'
<?php
declare(strict_types=1);

[, $source, $target] = $argv;
$module = 'fulfillment_connector';

if (!class_exists(ZipArchive::class)) {
    fwrite(STDERR, "build-zip: PHP's zip extension is missing (apt-get install php-zip)\n");
    exit(1);
}

$excluded = static function (string $relative): bool {
    foreach (explode('/', $relative) as $segment) {
        if ($segment === '' || $segment[0] === '.' || in_array($segment, ['tests', 'node_modules', 'dist'], true)) {
            return true;
        }
    }

    return (bool) preg_match('/(~|\.orig|\.rej|\.swp|\.bak|\.log)$|(^|\/)(phpunit|phpcs|composer)\.[^\/]*$|(^|\/)Makefile$/', $relative);
};

$files = [];
$dirs = [''];
$iterator = new RecursiveIteratorIterator(
    new RecursiveDirectoryIterator($source, FilesystemIterator::SKIP_DOTS),
    RecursiveIteratorIterator::SELF_FIRST
);
foreach ($iterator as $item) {
    $relative = substr($item->getPathname(), strlen($source) + 1);
    if ($excluded($relative)) {
        continue;
    }
    if ($item->isDir()) {
        $dirs[] = $relative;
    } elseif ($item->isFile()) {
        $files[] = $relative;
    }
}
sort($dirs);
sort($files);

$problems = [];
foreach ([$module . '.php', 'logo.png', 'index.php'] as $required) {
    if (!in_array($required, $files, true)) {
        $problems[] = "missing $required";
    }
}
foreach ($dirs as $dir) {
    $index = $dir === '' ? 'index.php' : $dir . '/index.php';
    if (!in_array($index, $files, true)) {
        $problems[] = 'no index.php in ' . ($dir === '' ? '.' : $dir);
    }
}
if ($problems !== []) {
    fwrite(STDERR, 'build-zip: ' . implode("\nbuild-zip: ", $problems) . "\n");
    exit(1);
}

$temporary = $target . '.tmp';
@unlink($temporary);
$zip = new ZipArchive();
if ($zip->open($temporary, ZipArchive::CREATE | ZipArchive::EXCL) !== true) {
    fwrite(STDERR, "build-zip: cannot create $temporary\n");
    exit(1);
}
$epoch = getenv('SOURCE_DATE_EPOCH');
$stamp = static function (string $name, int $mode) use ($zip, $epoch): void {
    $zip->setExternalAttributesName($name, ZipArchive::OPSYS_UNIX, $mode << 16);
    if ($epoch !== false && $epoch !== '' && method_exists($zip, 'setMtimeName')) {
        $zip->setMtimeName($name, (int) $epoch);
    }
};
foreach ($dirs as $dir) {
    $name = $module . '/' . ($dir === '' ? '' : $dir . '/');
    $zip->addEmptyDir(rtrim($name, '/'));
    $stamp(rtrim($name, '/') . '/', 040755);
}
foreach ($files as $file) {
    $name = $module . '/' . $file;
    $zip->addFile($source . '/' . $file, $name);
    $stamp($name, 0100644);
}
if (!$zip->close()) {
    fwrite(STDERR, "build-zip: cannot write the archive\n");
    exit(1);
}
rename($temporary, $target);
printf("%s: %d files in %d folders\n", $target, count($files), count($dirs));
PHP
