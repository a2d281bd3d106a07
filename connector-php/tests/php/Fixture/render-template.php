<?php

/**
 * Renders one of the module's Smarty templates with real Smarty 4 (the major version PrestaShop 8 and 9
 * ship), in a process of its own because the PHPUnit bootstrap declares a `Smarty` stand-in.
 *
 *   echo '{"template": "views/templates/admin/order_replication.tpl", "vars": {…}}' \
 *       | SMARTY_DIR=/usr/share/php/smarty4/ php render-template.php <module dir>
 *
 * `{l s=… d=…}` prints its text (escaped, as PrestaShop's smartyTranslate does for HTML templates);
 * `intval` is registered as a modifier, as PrestaShop registers it. Exit 0 with the HTML on stdout.
 */

declare(strict_types=1);

$smartyDir = rtrim((string) (getenv('SMARTY_DIR') ?: '/usr/share/php/smarty4'), '/') . '/';
require $smartyDir . 'Smarty.class.php';

$moduleDir = $argv[1] ?? '';
$input = json_decode((string) stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);

$work = sys_get_temp_dir() . '/fulfillment-smarty-' . getmypid();
@mkdir($work . '/compile', 0777, true);

$smarty = new Smarty();
$smarty->setCompileDir($work . '/compile');
$smarty->setCacheDir($work);
$smarty->registerPlugin('function', 'l', static fn (array $params): string => htmlspecialchars((string) ($params['s'] ?? ''), ENT_QUOTES, 'UTF-8'));
$smarty->registerPlugin('modifier', 'intval', 'intval');
$smarty->assign($input['vars']);

try {
    echo $smarty->fetch($moduleDir . '/' . $input['template']);
} finally {
    array_map('unlink', glob($work . '/compile/*') ?: []);
    @rmdir($work . '/compile');
    @rmdir($work);
}
