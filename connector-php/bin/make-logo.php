<?php

/**
 * Writes fulfillment_connector/logo.png: a 32x32 hub-and-spoke icon, encoded in plain PHP (no GD).
 * Run once when the logo changes: php connector-php/bin/make-logo.php
 */

declare(strict_types=1);

const SIZE = 32;

function pixel(int $x, int $y): array
{
    $cx = $x - 15.5;
    $cy = $y - 15.5;
    // Rounded square background.
    $corner = 6;
    $dx = max(abs($cx) - (16 - $corner), 0);
    $dy = max(abs($cy) - (16 - $corner), 0);
    if (sqrt($dx * $dx + $dy * $dy) > $corner) {
        return [0, 0, 0, 0];
    }
    $white = [255, 255, 255, 255];
    $distance = sqrt($cx * $cx + $cy * $cy);
    // The hub.
    if ($distance <= 5.0) {
        return $white;
    }
    // Four spokes with a store at each end.
    foreach ([[0, -10.5], [0, 10.5], [-10.5, 0], [10.5, 0]] as [$sx, $sy]) {
        if (abs($cx - $sx) <= 3.0 && abs($cy - $sy) <= 3.0) {
            return $white;
        }
    }
    if ((abs($cx) <= 1.0 && abs($cy) <= 10) || (abs($cy) <= 1.0 && abs($cx) <= 10)) {
        return $white;
    }

    return [37, 99, 235, 255];
}

function chunk(string $type, string $data): string
{
    return pack('N', strlen($data)) . $type . $data . pack('N', crc32($type . $data));
}

$raw = '';
for ($y = 0; $y < SIZE; ++$y) {
    $raw .= "\0";
    for ($x = 0; $x < SIZE; ++$x) {
        $raw .= pack('C4', ...pixel($x, $y));
    }
}

$png = "\x89PNG\r\n\x1a\n"
    . chunk('IHDR', pack('NNCCCCC', SIZE, SIZE, 8, 6, 0, 0, 0))
    . chunk('IDAT', (string) gzcompress($raw, 9))
    . chunk('IEND', '');

$target = dirname(__DIR__) . '/fulfillment_connector/logo.png';
file_put_contents($target, $png);
echo $target, ' (', strlen($png), " bytes)\n";
