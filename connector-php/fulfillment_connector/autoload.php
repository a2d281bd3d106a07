<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

if (!defined('_PS_VERSION_')) {
    exit;
}

/*
 * PSR-4 autoloading of the FulfillmentConnector\ namespace from src/. The module ships no Composer
 * dependencies, so it registers this small loader itself.
 */
spl_autoload_register(static function (string $class): void {
    $prefix = 'FulfillmentConnector\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    if (is_file($file)) {
        require_once $file;
    }
});
