<?php

/**
 * Stand-ins for PrestaShop's core services: Configuration, Context, Tools, Cache, Validate, logging,
 * Module and the front controllers' ancestry (PaymentModule is in Payment.php). In-memory, reset before
 * every test by ConnectorTestCase. Each declares only what PrestaShop 8.0–9.x declares, with the same
 * signatures (checked by Unit/StandInsMatchPrestaShopTest against tests/php/Facts); a member only tests
 * use is tagged `@standin` in its docblock.
 */

declare(strict_types=1);

/**
 * ObjectModel: loads its fields from an in-memory table, one row per class and id. A multilingual field
 * is stored as language id => value; loaded with a language, it is that language's value (null when it
 * has none), as PrestaShop does; loaded without one, every language's.
 */
abstract class ObjectModel
{
    /**
     * @standin class => id => fields
     *
     * @var array<string, array<int, array<string, mixed>>>
     */
    public static array $rows = [];

    public $id;

    public function __construct($id = null, $id_lang = null, $id_shop = null, $translator = null)
    {
        $row = self::$rows[static::class][(int) $id] ?? null;
        if ($row === null) {
            return;
        }
        $this->id = (int) $id;
        foreach ($row as $field => $value) {
            $this->{$field} = is_array($value) && $id_lang !== null ? ($value[(int) $id_lang] ?? null) : $value;
        }
    }
}

/**
 * The shop context. ConnectorTestCase sets a single-shop install (multistore off) whose shop in context
 * is 1, as a fresh PrestaShop: then Configuration reads and writes global values whatever shop is asked.
 */
class Shop extends ObjectModel
{
    protected static $context_id_shop;
    protected static $context_id_shop_group;
    protected static $feature_active;

    public static function isFeatureActive()
    {
        return (bool) self::$feature_active;
    }

    public static function getContextShopID($null_value_without_multishop = false)
    {
        if ($null_value_without_multishop && !Shop::isFeatureActive()) {
            return null;
        }

        return self::$context_id_shop;
    }

    public static function getContextShopGroupID($null_value_without_multishop = false)
    {
        if ($null_value_without_multishop && !Shop::isFeatureActive()) {
            return null;
        }

        return self::$context_id_shop_group;
    }

    /** @standin multistore on or off, and the shop (and its group) in context; null for "all shops". */
    public static function setStandInContext(bool $multistore, ?int $idShop = 1, ?int $idShopGroup = 1): void
    {
        self::$feature_active = $multistore;
        self::$context_id_shop = $idShop;
        self::$context_id_shop_group = $idShopGroup;
    }
}

/**
 * Thrown where PrestaShop would end the request (die(), exit, Tools::redirect): a test catches it
 * instead of PHPUnit dying. Not a PrestaShop class.
 */
class StubRequestEnded extends RuntimeException
{
}

class Configuration extends ObjectModel
{
    /**
     * @standin key => shop id (0 = global) => value
     *
     * @var array<string, array<int, string>>
     */
    public static array $values = [];

    /**
     * @standin key => shop group id => value
     *
     * @var array<string, array<int, string>>
     */
    public static array $groupValues = [];

    /** As ConfigurationCore::get: the shop's value, else its group's, else the global one. */
    public static function get($key, $idLang = null, $idShopGroup = null, $idShop = null, $default = false)
    {
        if ($idShop === null || !Shop::isFeatureActive()) {
            $idShop = Shop::getContextShopID(true);
        }
        if ($idShopGroup === null || !Shop::isFeatureActive()) {
            $idShopGroup = Shop::getContextShopGroupID(true);
        }
        if ($idShop && isset(self::$values[$key][(int) $idShop])) {
            return self::$values[$key][(int) $idShop];
        }
        if ($idShopGroup && isset(self::$groupValues[$key][(int) $idShopGroup])) {
            return self::$groupValues[$key][(int) $idShopGroup];
        }

        return self::$values[$key][0] ?? $default;
    }

    public static function getGlobalValue($key, $idLang = null)
    {
        return Configuration::get($key, $idLang, 0, 0);
    }

    /**
     * As ConfigurationCore::updateValue: without multistore every value is global; with it, a null
     * shop (or group) means the shop (or group) in context. Stored through pSQL, which strips tags
     * unless $html.
     */
    public static function updateValue($key, $values, $html = false, $idShopGroup = null, $idShop = null)
    {
        if ($idShop === null || !Shop::isFeatureActive()) {
            $idShop = Shop::getContextShopID(true);
        }
        if ($idShopGroup === null || !Shop::isFeatureActive()) {
            $idShopGroup = Shop::getContextShopGroupID(true);
        }
        $value = (string) $values;
        $value = $html ? $value : strip_tags(Tools::nl2br($value));
        if ($idShop) {
            self::$values[$key][(int) $idShop] = $value;
        } elseif ($idShopGroup) {
            self::$groupValues[$key][(int) $idShopGroup] = $value;
        } else {
            self::$values[$key][0] = $value;
        }

        return true;
    }

    public static function updateGlobalValue($key, $values, $html = false)
    {
        return Configuration::updateValue($key, $values, $html, 0, 0);
    }

    public static function deleteByName($key)
    {
        unset(self::$values[$key], self::$groupValues[$key]);

        return true;
    }

    /** @standin */
    public static function reset(): void
    {
        self::$values = ['PS_LANG_DEFAULT' => [0 => '1']];
        self::$groupValues = [];
    }
}

class Tools
{
    /**
     * @standin the request's GET/POST values
     *
     * @var array<string, mixed>
     */
    public static array $requestValues = [];

    public static function getValue($key, $default_value = false)
    {
        return self::$requestValues[$key] ?? $default_value;
    }

    public static function isSubmit($submit)
    {
        return isset(self::$requestValues[$submit]);
    }

    public static function getAdminTokenLite($tab, Context $context = null)
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

    /** As ToolsCore::redirect, which exits: the request ends. */
    public static function redirect($url, $base_uri = __PS_BASE_URI__, Link $link = null, $headers = null)
    {
        throw new StubRequestEnded('redirect to ' . $url);
    }
}

class Validate
{
    public static function isLoadedObject($object)
    {
        return is_object($object) && !empty($object->id);
    }
}

/**
 * Cache's request-local store (Cache::store, retrieve, isStored, clean are static and local to the
 * request in PrestaShop too).
 */
abstract class Cache
{
    /** @var array<string, mixed> */
    protected static $local = [];

    public static function store($key, $value)
    {
        Cache::$local[$key] = $value;
    }

    public static function retrieve($key)
    {
        return Cache::$local[$key] ?? null;
    }

    /** As CacheCore::isStored: isset, so a stored null is "not stored". */
    public static function isStored($key)
    {
        return isset(Cache::$local[$key]);
    }

    public static function clean($key)
    {
        if (strpos($key, '*') !== false) {
            $regexp = str_replace('\\*', '.*', preg_quote($key, '#'));
            foreach (array_keys(Cache::$local) as $stored) {
                if (preg_match('#^' . $regexp . '$#', (string) $stored)) {
                    unset(Cache::$local[$stored]);
                }
            }
        } else {
            unset(Cache::$local[$key]);
        }
    }

    /** @standin a new request */
    public static function resetStandIn(): void
    {
        Cache::$local = [];
    }

    /**
     * @standin the keys stored now, in the order they were stored
     *
     * @return list<string>
     */
    public static function storedKeysStandIn(): array
    {
        return array_keys(Cache::$local);
    }
}

class PrestaShopLogger extends ObjectModel
{
    /**
     * @standin
     *
     * @var list<array{message: string, severity: int, object_type: ?string, object_id: ?int}>
     */
    public static array $logs = [];

    public static function addLog($message, $severity = 1, $errorCode = null, $objectType = null, $objectId = null, $allowDuplicate = false, $idEmployee = null)
    {
        self::$logs[] = ['message' => $message, 'severity' => $severity, 'object_type' => $objectType, 'object_id' => $objectId];

        return true;
    }
}

class Link
{
    public function getAdminLink($controller, $withToken = true, $sfRouteParams = [], $params = [])
    {
        return 'https://shop.example/admin-dev/index.php?controller=' . $controller;
    }

    public function getModuleLink(
        $module,
        $controller = 'default',
        array $params = [],
        $ssl = null,
        $idLang = null,
        $idShop = null,
        $relativeProtocol = false
    ) {
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

class Context
{
    /** @var Context|null */
    protected static $instance;

    public $shop;
    public $language;
    public $link;
    public $smarty;
    public $controller;
    public $cart;
    public $customer;
    public $currency;

    public static function getContext()
    {
        if (self::$instance === null) {
            self::$instance = new Context();
            self::$instance->shop = (object) ['id' => 1];
            self::$instance->language = (object) ['id' => 1];
            self::$instance->link = new Link();
            self::$instance->smarty = new Smarty();
            self::$instance->controller = new AdminController();
        }

        return self::$instance;
    }

    /** The translator of PrestaShop 8/9 (a Symfony translator): substitutes the parameters, escapes nothing. */
    public function getTranslator($isInstaller = false)
    {
        return new PrestaShopBundle\Translation\TranslatorComponent();
    }

    /** @standin */
    public static function reset(): void
    {
        self::$instance = null;
    }
}

abstract class Module
{
    /**
     * @standin name => instance, what Module::getInstanceByName finds
     *
     * @var array<string, Module>
     */
    public static array $instances = [];

    /**
     * @standin hooks registered through registerHook
     *
     * @var list<string>
     */
    public static array $registeredHooks = [];

    /**
     * @standin the `module` table: installed module name => id_module
     *
     * @var array<string, int>
     */
    public static array $installedIds = [];

    public $id;
    public $name;
    public $tab;
    public $version;
    public $author;
    public $need_instance = 1;
    public $ps_versions_compliancy = [];
    public $bootstrap = false;
    public $displayName;
    public $description;
    public $confirmUninstall = '';
    /** As ModuleCore: false until the module is found enabled in the `module` table. */
    public $active = false;
    protected $_errors = [];
    protected $context;
    protected $table = 'module';
    protected $identifier = 'id_module';

    public function __construct($name = null, Context $context = null)
    {
        $this->context = $context ?? Context::getContext();
        if ($this->name !== null) {
            self::$instances[$this->name] = $this;
            $this->id = self::$installedIds[$this->name] ?? null;
            // As ModuleCore: active when the module is installed and enabled in the shop (install enables it).
            $this->active = $this->id !== null;
        }
    }

    public static function getInstanceByName($module_name)
    {
        return self::$instances[$module_name] ?? false;
    }

    /** As Module::install: refuses a second install, gives the module its id. */
    public function install()
    {
        if (isset(self::$installedIds[$this->name])) {
            $this->_errors[] = 'This module has already been installed.';

            return false;
        }
        $this->id = self::$installedIds[$this->name] = max([0, ...array_values(self::$installedIds)]) + 1;

        return true;
    }

    /** As Module::uninstall: only an installed module (one with an id) can be uninstalled. */
    public function uninstall()
    {
        if (empty($this->id) || !isset(self::$installedIds[$this->name])) {
            $this->_errors[] = 'The module is not installed.';

            return false;
        }
        unset(self::$installedIds[$this->name]);
        $this->id = null;

        return true;
    }

    public function registerHook($hook_name, $shop_list = null)
    {
        foreach ((array) $hook_name as $hook) {
            self::$registeredHooks[] = $hook;
        }

        return true;
    }

    public function getTranslator()
    {
        return Context::getContext()->getTranslator();
    }

    /**
     * Protected, as in ModuleCore. PrestaShop 8.x escapes the translation with
     * htmlspecialchars(…, ENT_NOQUOTES) unless `_raw` is among the parameters; 9.0 no longer escapes.
     * The stand-in does what 8.x (the version it stands for, _PS_VERSION_) does.
     */
    protected function trans($id, array $parameters = [], $domain = null, $locale = null)
    {
        if (isset($parameters['_raw'])) {
            unset($parameters['_raw']);

            return $this->getTranslator()->trans($id, $parameters, $domain, $locale);
        }

        return htmlspecialchars($this->getTranslator()->trans($id, $parameters, $domain, $locale), ENT_NOQUOTES);
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

/**
 * The front controllers' ancestry as in PrestaShop: ModuleFrontController → FrontController →
 * Controller, with the methods the module's controllers override (same signatures), so PHP checks
 * their declarations here as it does in a shop. Controller::run (init, postProcess, initContent,
 * display) is not modelled: tests call postProcess.
 */
abstract class Controller
{
    public $ajax = false;

    public function __construct()
    {
    }

    abstract public function postProcess();

    abstract public function initContent();

    protected function ajaxRender($value = null, $controller = null, $method = null)
    {
        echo $value;
    }
}

/** The back-office controller in context on the Configure page (AdminModulesController extends it). */
class AdminController extends Controller
{
    public function postProcess()
    {
    }

    public function initContent()
    {
    }

    public function getLanguages()
    {
        return [['id_lang' => 1, 'iso_code' => 'en', 'is_default' => 1]];
    }
}

class FrontController extends Controller
{
    protected $maintenance = false;

    public function __construct()
    {
        parent::__construct();
    }

    public function postProcess()
    {
    }

    public function initContent()
    {
    }

    protected function displayMaintenancePage()
    {
    }

    protected function canonicalRedirection($canonical_url = '')
    {
    }

    protected function displayRestrictedCountryPage()
    {
    }
}

class ModuleFrontController extends FrontController
{
    public $module;

    /** As ModuleFrontControllerCore: a missing or disabled module redirects to the home page. */
    public function __construct()
    {
        $this->module = Module::getInstanceByName(Tools::getValue('module'));
        if (!($this->module instanceof Module) || !$this->module->active) {
            Tools::redirect('index');

            return;
        }
        parent::__construct();
    }

    public function initContent()
    {
    }
}
