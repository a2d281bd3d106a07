<?php

/**
 * PHPUnit bootstrap: PrestaShop's constants and an in-memory stand-in for every core class the
 * module touches, then the module's own autoloader and the tests' autoloader.
 */

declare(strict_types=1);

error_reporting(E_ALL);
date_default_timezone_set('Europe/Madrid');

if (!extension_loaded('pdo_sqlite')) {
    fwrite(STDERR, "The tests need pdo_sqlite (Debian package php-sqlite3): the Db stub runs the module's SQL on SQLite.\n");
    exit(1);
}

define('_PS_VERSION_', '8.2.1');
define('_DB_PREFIX_', 'ps_');
define('_MYSQL_ENGINE_', 'InnoDB');
define('_PS_USE_SQL_SLAVE_', false);
define('__PS_BASE_URI__', '/');
define('FULFILLMENT_TESTS_MODULE_DIR', dirname(__DIR__, 2) . '/fulfillment_connector');

require __DIR__ . '/Stub/Db.php';
require __DIR__ . '/Stub/Translation.php';
require __DIR__ . '/Stub/Core.php';
require __DIR__ . '/Stub/Payment.php';
require __DIR__ . '/Stub/Catalog.php';
require __DIR__ . '/Stub/Orders.php';
require __DIR__ . '/Stub/Admin.php';

require_once FULFILLMENT_TESTS_MODULE_DIR . '/autoload.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/fulfillment_connector.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/controllers/front/cron.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/controllers/front/carttotal.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/upgrade/upgrade-1.1.0.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/upgrade/upgrade-1.2.0.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/upgrade/upgrade-1.3.0.php';
require FULFILLMENT_TESTS_MODULE_DIR . '/upgrade/upgrade-1.4.0.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'FulfillmentConnector\\Tests\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
