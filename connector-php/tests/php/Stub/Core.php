<?php

/**
 * Stand-ins for PrestaShop's core services: Configuration, Context, Tools, Cache, Validate, logging,
 * Module and ModuleFrontController (PaymentModule is in Payment.php). In-memory, reset before every test by ConnectorTestCase.
 */

declare(strict_types=1);

class Configuration
{
    /** @var array<string, array<int, string>> key => shop id (0 = global) => value */
    public static array $values = [];

    public static function get($key, $idLang = null, $idShopGroup = null, $idShop = null, $default = false)
    {
        if ($idShop !== null && isset(self::$values[$key][(int) $idShop])) {
            return self::$values[$key][(int) $idShop];
        }

        return self::$values[$key][0] ?? $default;
    }

    public static function getGlobalValue($key, $idLang = null)
    {
        return self::$values[$key][0] ?? false;
    }

    public static function updateValue($key, $values, $html = false, $idShopGroup = null, $idShop = null): bool
    {
        // As PrestaShop: stored through pSQL, which strips tags unless $html.
        $value = (string) $values;
        self::$values[$key][(int) $idShop] = $html ? $value : strip_tags(Tools::nl2br($value));

        return true;
    }

    public static function updateGlobalValue($key, $values, $html = false): bool
    {
        return self::updateValue($key, $values, $html);
    }

    public static function deleteByName($key): bool
    {
        unset(self::$values[$key]);

        return true;
    }

    public static function reset(): void
    {
        self::$values = ['PS_LANG_DEFAULT' => [0 => '1']];
    }
}

class Tools
{
    /** @var array<string, mixed> the request's GET/POST values */
    public static array $request = [];

    public static function getValue($key, $default = false)
    {
        return self::$request[$key] ?? $default;
    }

    public static function isSubmit($submit): bool
    {
        return isset(self::$request[$submit]);
    }

    public static function getAdminTokenLite($tab): string
    {
        return 'admintoken';
    }

    public static function nl2br($str)
    {
        return str_replace(["\r\n", "\r", "\n"], '<br />', (string) $str);
    }

    /**
     * PrestaShop's default rounding mode, PS_ROUND_HALF_UP (Tools::math_round guards against float
     * noise the same way: 1.005 is treated as 1.005, not 1.00499…).
     */
    public static function ps_round($value, $precision = 0, $round_mode = null)
    {
        return round(round((float) $value, 9), (int) $precision, PHP_ROUND_HALF_UP);
    }
}

class Validate
{
    public static function isLoadedObject($object): bool
    {
        return is_object($object) && !empty($object->id);
    }
}

class Cache
{
    /** @var array<string, mixed> */
    public static array $local = [];

    public static function store($key, $value): void
    {
        self::$local[$key] = $value;
    }

    public static function retrieve($key)
    {
        return self::$local[$key] ?? null;
    }

    public static function isStored($key): bool
    {
        return array_key_exists($key, self::$local);
    }

    public static function clean($key): void
    {
        if (strpos($key, '*') !== false) {
            $regexp = str_replace('\\*', '.*', preg_quote($key, '#'));
            foreach (array_keys(self::$local) as $stored) {
                if (preg_match('#^' . $regexp . '$#', (string) $stored)) {
                    unset(self::$local[$stored]);
                }
            }
        } else {
            unset(self::$local[$key]);
        }
    }
}

class PrestaShopLogger
{
    /** @var list<array{message: string, severity: int, object_type: ?string, object_id: ?int}> */
    public static array $logs = [];

    public static function addLog($message, $severity = 1, $errorCode = null, $objectType = null, $objectId = null, $allowDuplicate = false, $idEmployee = null): bool
    {
        self::$logs[] = ['message' => $message, 'severity' => $severity, 'object_type' => $objectType, 'object_id' => $objectId];

        return true;
    }
}

class Link
{
    public function getAdminLink($controller, $withToken = true, $sfRouteParams = [], $params = []): string
    {
        return 'https://shop.example/admin-dev/index.php?controller=' . $controller;
    }

    public function getModuleLink($module, $controller = 'default', array $params = [], $ssl = null): string
    {
        return 'https://shop.example/module/' . $module . '/' . $controller . ($params === [] ? '' : '?' . http_build_query($params));
    }
}

class Smarty
{
    /** @var array<string, mixed> */
    public array $vars = [];

    public function assign($name, $value = null): void
    {
        if (is_array($name)) {
            $this->vars = array_merge($this->vars, $name);
        } else {
            $this->vars[$name] = $value;
        }
    }
}

class StubAdminController
{
    public function getLanguages(): array
    {
        return [['id_lang' => 1, 'iso_code' => 'en', 'is_default' => 1]];
    }
}

class Context
{
    private static ?Context $instance = null;

    public $shop;
    public $language;
    public $link;
    public $smarty;
    public $controller;
    public $cart;
    public $customer;
    public $currency;

    public static function getContext(): self
    {
        if (self::$instance === null) {
            self::$instance = new self();
            self::$instance->shop = (object) ['id' => 1];
            self::$instance->language = (object) ['id' => 1];
            self::$instance->link = new Link();
            self::$instance->smarty = new Smarty();
            self::$instance->controller = new StubAdminController();
        }

        return self::$instance;
    }

    public static function reset(): void
    {
        self::$instance = null;
    }
}

class Module
{
    /** @var array<string, Module> */
    public static array $instances = [];

    /** @var list<string> hooks registered through registerHook */
    public static array $registeredHooks = [];

    /** @var array<string, int> the `module` table: installed module name => id_module */
    public static array $installed = [];

    public $id;
    public $name;
    public $tab;
    public $version;
    public $author;
    public $need_instance;
    public $ps_versions_compliancy = [];
    public $bootstrap = false;
    public $displayName;
    public $description;
    public $confirmUninstall;
    public $active = true;
    protected $_errors = [];
    protected $context;
    protected $table = 'module';
    protected $identifier = 'id_module';

    public function __construct($name = null, $context = null)
    {
        $this->context = Context::getContext();
        if ($this->name !== null) {
            self::$instances[$this->name] = $this;
            $this->id = self::$installed[$this->name] ?? null;
        }
    }

    public static function getInstanceByName($name)
    {
        return self::$instances[$name] ?? false;
    }

    /** As Module::install: refuses a second install, gives the module its id. */
    public function install()
    {
        if (isset(self::$installed[$this->name])) {
            $this->_errors[] = 'This module has already been installed.';

            return false;
        }
        $this->id = self::$installed[$this->name] = max([0, ...array_values(self::$installed)]) + 1;

        return true;
    }

    /** As Module::uninstall: only an installed module (one with an id) can be uninstalled. */
    public function uninstall()
    {
        if (empty($this->id) || !isset(self::$installed[$this->name])) {
            $this->_errors[] = 'The module is not installed.';

            return false;
        }
        unset(self::$installed[$this->name]);
        $this->id = null;

        return true;
    }

    public function registerHook($hookName, $shopList = null)
    {
        foreach ((array) $hookName as $hook) {
            self::$registeredHooks[] = $hook;
        }

        return true;
    }

    public function trans($id, array $parameters = [], $domain = null, $locale = null)
    {
        return strtr($id, $parameters);
    }

    public function l($string, $specific = false, $locale = null)
    {
        return $string;
    }

    public function displayConfirmation($string)
    {
        return '<div class="alert alert-success">' . $string . '</div>';
    }

    public function displayError($error)
    {
        return '<div class="alert alert-danger">' . (is_array($error) ? implode('<br>', $error) : $error) . '</div>';
    }

    /** Renders "the template" as its name and the Smarty variables, so tests see what reaches it. */
    public function display($file, $template, $cache_id = null, $compile_id = null)
    {
        return '<!-- ' . $template . ' -->' . json_encode($this->context->smarty->vars, JSON_UNESCAPED_SLASHES);
    }

    public function getLocalPath()
    {
        return FULFILLMENT_TESTS_MODULE_DIR . '/';
    }

    public function getErrors()
    {
        return $this->_errors;
    }
}

class FrontController
{
    public $ajax = false;
    protected $maintenance = false;

    public function __construct()
    {
    }

    protected function ajaxRender($value = null, $controller = null, $method = null)
    {
        echo $value;
    }
}

class ModuleFrontController extends FrontController
{
    public $module;

    public function __construct()
    {
        $this->module = Module::getInstanceByName(Tools::getValue('module'));
        parent::__construct();
    }
}
