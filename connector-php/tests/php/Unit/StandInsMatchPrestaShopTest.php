<?php

/**
 * The stand-ins may not lie, and the module may only use what PrestaShop has: both are checked against
 * the signatures bin/extract-signatures.php took from real PrestaShop 8.0.5, 8.2.1 and 9.0.0 trees
 * (tests/php/Facts/prestashop-signatures.json). A failure names the version it concerns.
 */

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Tests\Support\PrestaShopSignatures;
use PHPUnit\Framework\TestCase;

final class StandInsMatchPrestaShopTest extends TestCase
{
    /** Stand-ins of classes that are not PrestaShop's (third-party or test-only): not checked. */
    private const NOT_PRESTASHOP = ['Smarty'];

    /** A stand-in member marked with this docblock tag is a test helper; PrestaShop must not have it. */
    private const HELPER_TAG = '@standin';

    private PrestaShopSignatures $facts;

    /** @var array<string, true> every PrestaShop symbol the scan found and checked */
    private array $checked = [];

    protected function setUp(): void
    {
        $this->facts = PrestaShopSignatures::load();
    }

    public function testTheDataCoversEverySupportedVersion(): void
    {
        self::assertSame(['8.0.5', '8.2.1', '9.0.0'], $this->facts->versions());
    }

    public function testStandInsDeclareOnlyWhatPrestaShopHasWithTheSameSignatures(): void
    {
        $problems = [];
        foreach (self::standInClasses() as $class) {
            foreach ($this->facts->versions() as $version) {
                foreach ($this->standInProblems($class, $version) as $problem) {
                    $problems[] = "$version: $problem";
                }
            }
        }
        foreach (['pSQL', 'bqSQL'] as $function) {
            $reflection = new \ReflectionFunction($function);
            foreach ($this->facts->versions() as $version) {
                $real = $this->facts->function($version, $function);
                if ($real === null) {
                    $problems[] = "$version: function $function() does not exist";
                    continue;
                }
                foreach ($this->parameterProblems($reflection, $real['parameters'] ?? []) as $problem) {
                    $problems[] = "$version: function $function(): $problem";
                }
            }
        }

        self::assertSame([], array_values(array_unique($problems)), "The stand-ins differ from PrestaShop:\n" . implode("\n", array_unique($problems)));
    }

    public function testTheModuleUsesOnlyWhatEveryVersionHasAndMayCall(): void
    {
        $problems = [];
        foreach (self::moduleFiles() as $file) {
            foreach ($this->scan($file) as $problem) {
                $problems[] = $problem;
            }
        }

        self::assertSame([], array_values(array_unique($problems)), "The module uses what PrestaShop does not offer:\n" . implode("\n", array_unique($problems)));
        // The scan is not vacuous: it reached the calls the module's PrestaShop integration rests on.
        foreach (
            [
                'Module->getTranslator()', 'PrestaShopBundle\\Translation\\TranslatorComponent->trans()', 'Link->getModuleLink()',
                'Tools::getAdminTokenLite()', 'Db->getRow()', 'Configuration::updateValue()', 'Cart::BOTH',
                'PaymentModule->trans()', 'PaymentModule::install()', 'ModuleFrontController->ajaxRender()',
                'AdminController->getLanguages()', 'PaymentModule->addCheckboxCurrencyRestrictionsForModule()',
            ] as $symbol
        ) {
            self::assertArrayHasKey($symbol, $this->checked, "the scan no longer reaches $symbol");
        }
    }

    public function testTheScanReportsEachWrongCallWithTheVersionsItFailsOn(): void
    {
        $problems = $this->scan(dirname(__DIR__) . '/Fixture/WrongPrestaShopCalls.php');
        $at = static fn (string $versions, int $line, string $problem): array => array_map(
            static fn (string $v): string => "$v: tests/php/Fixture/WrongPrestaShopCalls.php:$line: $problem",
            explode(' ', $versions)
        );
        $caller = 'FulfillmentConnector\\Tests\\Fixture\\WrongPrestaShopCalls';

        self::assertEqualsCanonicalizing(array_merge(
            $at('8.0.5 8.2.1 9.0.0', 23, "Module->trans() is protected in ModuleCore and is called from $caller"),
            $at('9.0.0', 28, 'Tools::displayPrice() does not exist'),
            $at('8.0.5', 33, 'Tools::getCurrentUrl() does not exist'),
            $at('8.0.5 8.2.1 9.0.0', 38, 'Cart::NO_SUCH_TOTAL does not exist'),
            $at('8.0.5 8.2.1 9.0.0', 43, 'Link->getModuleUrl() does not exist'),
            $at('8.0.5 8.2.1 9.0.0', 48, 'new Module: it is abstract'),
        ), $problems);
    }

    public function testFrontControllersOverrideRealMethodsCompatibly(): void
    {
        $problems = [];
        foreach (glob(FULFILLMENT_TESTS_MODULE_DIR . '/controllers/front/*.php') ?: [] as $file) {
            foreach (self::classesDeclaredIn($file) as $class) {
                $reflection = new \ReflectionClass($class);
                $psParent = self::prestaShopParentOf($reflection);
                self::assertSame('ModuleFrontController', $psParent, "$class must extend ModuleFrontController");
                foreach ($reflection->getMethods() as $method) {
                    if ($method->getDeclaringClass()->getName() !== $class) {
                        continue;
                    }
                    $name = $method->getName();
                    foreach ($this->facts->versions() as $version) {
                        $real = $this->facts->member($version, $psParent, 'methods', $name);
                        if ($real === null || $real[1]['visibility'] === 'private') {
                            $problems[] = "$version: $class::$name() overrides nothing in $psParent: PrestaShop never calls it";
                            continue;
                        }
                        foreach ($this->overrideProblems($method, $real[1]) as $problem) {
                            $problems[] = "$version: $class::$name() overrides {$real[0]}::$name(): $problem";
                        }
                        $standIn = new \ReflectionClass($psParent);
                        if (!$standIn->hasMethod($name)) {
                            $problems[] = "$version: the $psParent stand-in lacks $name(), which $class overrides";
                        }
                    }
                }
            }
        }

        self::assertSame([], array_values(array_unique($problems)), implode("\n", array_unique($problems)));
    }

    public function testTheModuleClassOverridesPaymentModuleMethodsCompatibly(): void
    {
        $problems = [];
        $overrides = 0;
        foreach ((new \ReflectionClass(\Fulfillment_connector::class))->getMethods() as $method) {
            if ($method->getDeclaringClass()->getName() !== \Fulfillment_connector::class) {
                continue;
            }
            foreach ($this->facts->versions() as $version) {
                $real = $this->facts->member($version, 'PaymentModule', 'methods', $method->getName());
                if ($real === null) {
                    continue;
                }
                ++$overrides;
                foreach ($this->overrideProblems($method, $real[1]) as $problem) {
                    $problems[] = "$version: Fulfillment_connector::{$method->getName()}() overrides {$real[0]}::{$method->getName()}(): $problem";
                }
            }
        }

        self::assertGreaterThan(0, $overrides);
        self::assertSame([], $problems, implode("\n", $problems));
    }

    /**
     * @return list<string>
     */
    private function standInProblems(string $class, string $version): array
    {
        $reflection = new \ReflectionClass($class);
        $real = $this->facts->declaration($version, $class);
        if ($real === null) {
            return ["class $class does not exist (or is missing from bin/extract-signatures.php's ROOTS)"];
        }
        $problems = [];
        $lineage = $this->facts->lineage($version, $class);
        $kind = $reflection->isInterface() ? 'interface' : ($reflection->isTrait() ? 'trait' : 'class');
        if ($kind !== $real['kind']) {
            $problems[] = "$class is a $kind, PrestaShop's is a {$real['kind']}";
        }
        if ($kind === 'class' && $reflection->isAbstract() !== (bool) ($real['abstract'] ?? false)) {
            $problems[] = "$class is " . ($reflection->isAbstract() ? '' : 'not ') . 'abstract, PrestaShop\'s is ' . (($real['abstract'] ?? false) ? '' : 'not');
        }
        $parent = $reflection->getParentClass();
        if ($parent !== false && !in_array(strtolower($parent->getName()), array_map('strtolower', $lineage), true)) {
            $problems[] = "$class extends {$parent->getName()}, which is not among its PrestaShop ancestors (" . implode(', ', $lineage) . ')';
        }
        // `instanceof` answers as in PrestaShop for every ancestor that is stood in too.
        $standIns = self::standInClasses();
        foreach (array_slice($lineage, 1) as $ancestor) {
            if (in_array($ancestor, $standIns, true) && !$reflection->isSubclassOf($ancestor)) {
                $problems[] = "$class does not extend $ancestor, PrestaShop's does";
            }
        }

        foreach ($reflection->getMethods() as $method) {
            if ($method->getDeclaringClass()->getName() !== $reflection->getName()) {
                continue;
            }
            $name = $method->getName();
            $found = $this->facts->member($version, $class, 'methods', $name);
            if (self::isHelper($method->getDocComment())) {
                if ($found !== null) {
                    $problems[] = "$class::$name() is marked " . self::HELPER_TAG . " but PrestaShop has it ({$found[0]})";
                }
                continue;
            }
            if ($found === null) {
                $problems[] = "$class::$name() does not exist";
                continue;
            }
            [$owner, $sig] = $found;
            $where = "$class::$name() (PrestaShop: $owner)";
            $visibility = $method->isPublic() ? 'public' : ($method->isProtected() ? 'protected' : 'private');
            if ($visibility !== $sig['visibility']) {
                $problems[] = "$where is $visibility, PrestaShop's is {$sig['visibility']}";
            }
            if ($method->isStatic() !== (bool) ($sig['static'] ?? false)) {
                $problems[] = "$where is " . ($method->isStatic() ? '' : 'not ') . 'static, PrestaShop\'s is ' . (($sig['static'] ?? false) ? '' : 'not');
            }
            foreach ($this->parameterProblems($method, $sig['parameters'] ?? []) as $problem) {
                $problems[] = "$where: $problem";
            }
            // A stand-in may leave a return type out (PrestaShop 9 declares some that 8 does not), never
            // declare another one.
            $returnType = $method->hasReturnType() ? self::typeName($method->getReturnType()) : null;
            if ($returnType !== null && $returnType !== self::normaliseType($sig['return_type'] ?? null)) {
                $problems[] = "$where returns " . ($returnType ?? 'an undeclared type') . ', PrestaShop\'s ' . ($sig['return_type'] ?? 'an undeclared type');
            }
        }

        foreach ($reflection->getProperties() as $property) {
            if ($property->getDeclaringClass()->getName() !== $reflection->getName()) {
                continue;
            }
            $name = $property->getName();
            $found = $this->facts->member($version, $class, 'properties', $name);
            if (self::isHelper($property->getDocComment())) {
                if ($found !== null) {
                    $problems[] = "$class::\$$name is marked " . self::HELPER_TAG . " but PrestaShop has it ({$found[0]})";
                }
                continue;
            }
            if ($found === null) {
                $problems[] = "$class::\$$name does not exist";
                continue;
            }
            [$owner, $sig] = $found;
            $where = "$class::\$$name (PrestaShop: $owner)";
            $visibility = $property->isPublic() ? 'public' : ($property->isProtected() ? 'protected' : 'private');
            if ($visibility !== $sig['visibility']) {
                $problems[] = "$where is $visibility, PrestaShop's is {$sig['visibility']}";
            }
            if ($property->isStatic() !== (bool) ($sig['static'] ?? false)) {
                $problems[] = "$where is " . ($property->isStatic() ? '' : 'not ') . 'static, PrestaShop\'s is ' . (($sig['static'] ?? false) ? '' : 'not');
            }
            $standInDefault = $property->hasDefaultValue() ? $property->getDefaultValue() : null;
            $realDefault = PrestaShopSignatures::literal($sig['default'] ?? null);
            if (is_array($realDefault) && isset($realDefault['expr'])) {
                $problems[] = "$where: PrestaShop's default ({$realDefault['expr']}) is not a literal this test compares; check it by hand and adjust the test";
            } elseif ($standInDefault !== $realDefault) {
                $problems[] = "$where defaults to " . var_export($standInDefault, true) . ", PrestaShop's to " . ($sig['default'] ?? 'null');
            }
        }

        foreach ($reflection->getReflectionConstants() as $constant) {
            if ($constant->getDeclaringClass()->getName() !== $reflection->getName()) {
                continue;
            }
            $name = $constant->getName();
            $found = $this->facts->member($version, $class, 'constants', $name);
            if ($found === null) {
                $problems[] = "$class::$name does not exist";
                continue;
            }
            $realValue = PrestaShopSignatures::literal($found[1]['value'] ?? null);
            if ($realValue !== $constant->getValue()) {
                $problems[] = "$class::$name is " . var_export($constant->getValue(), true) . ", PrestaShop's is " . ($found[1]['value'] ?? 'null');
            }
        }

        return $problems;
    }

    /**
     * Same names in the same order, same by-reference and variadic flags, same declared types, and the
     * same defaults.
     *
     * @param list<array<string, mixed>> $real
     *
     * @return list<string>
     */
    private function parameterProblems(\ReflectionFunctionAbstract $function, array $real): array
    {
        $mine = $function->getParameters();
        $problems = [];
        $described = static fn (array $params): string => implode(', ', array_map(static fn ($p): string => '$' . (is_array($p) ? $p['name'] : $p->getName()), $params));
        if (count($mine) !== count($real)) {
            return ['takes (' . $described($mine) . '), PrestaShop\'s takes (' . $described($real) . ')'];
        }
        foreach ($real as $i => $expected) {
            $param = $mine[$i];
            $label = 'parameter ' . ($i + 1) . ' $' . $param->getName();
            if ($param->getName() !== $expected['name']) {
                $problems[] = "$label is \${$expected['name']} in PrestaShop";
            }
            if ($param->isPassedByReference() !== (bool) ($expected['by_ref'] ?? false)) {
                $problems[] = "$label: by-reference differs";
            }
            if ($param->isVariadic() !== (bool) ($expected['variadic'] ?? false)) {
                $problems[] = "$label: variadic differs";
            }
            $type = $param->hasType() ? self::typeName($param->getType()) : null;
            $untypedElsewhere = $type === null && $function instanceof \ReflectionMethod
                && $this->untypedInSomeVersion($function->getDeclaringClass()->getName(), $function->getName(), $i);
            if (!$untypedElsewhere && $type !== self::normaliseType($expected['type'] ?? null, $expected['default'] ?? null)) {
                $problems[] = "$label has type " . ($type ?? 'none') . ', PrestaShop\'s ' . ($expected['type'] ?? 'none');
            }
            $hasDefault = $param->isDefaultValueAvailable();
            if ($hasDefault !== (bool) ($expected['has_default'] ?? false)) {
                $problems[] = "$label: " . ($hasDefault ? 'has a default, PrestaShop\'s has none' : 'has no default, PrestaShop\'s has ' . $expected['default']);
                continue;
            }
            if ($hasDefault) {
                $realDefault = PrestaShopSignatures::literal($expected['default']);
                $myDefault = $param->isDefaultValueConstant()
                    ? ['expr' => (string) $param->getDefaultValueConstantName()]
                    : $param->getDefaultValue();
                if (is_array($realDefault) && isset($realDefault['expr']) && is_array($myDefault) && isset($myDefault['expr'])) {
                    $same = self::sameConstant($realDefault['expr'], $myDefault['expr'], $function);
                } else {
                    $same = $realDefault === $myDefault;
                }
                if (!$same) {
                    $problems[] = "$label defaults to " . var_export($myDefault, true) . ", PrestaShop's to {$expected['default']}";
                }
            }
        }

        return $problems;
    }

    /**
     * Whether some supported version declares the parameter without a type (PrestaShop 9 typed a few
     * that 8 did not): a stand-in serving every version then leaves it untyped.
     */
    private function untypedInSomeVersion(string $class, string $method, int $position): bool
    {
        foreach ($this->facts->versions() as $version) {
            $found = $this->facts->member($version, $class, 'methods', $method);
            if ($found !== null && isset($found[1]['parameters'][$position]) && !isset($found[1]['parameters'][$position]['type'])) {
                return true;
            }
        }

        return false;
    }

    /**
     * What PHP checks when a child method overrides a parent's: not static where the parent is not,
     * visibility not narrowed, every parent parameter still accepted, no new required parameter, and a
     * declared return type when the parent declares one.
     *
     * @param array<string, mixed> $parent
     *
     * @return list<string>
     */
    private function overrideProblems(\ReflectionMethod $method, array $parent): array
    {
        if ($method->isConstructor() && !($parent['abstract'] ?? false)) {
            // PHP does not check a constructor's signature against its parent's.
            return [];
        }
        $problems = [];
        if ($method->isStatic() !== (bool) ($parent['static'] ?? false)) {
            $problems[] = 'static-ness differs';
        }
        $rank = ['private' => 0, 'protected' => 1, 'public' => 2];
        $visibility = $method->isPublic() ? 'public' : ($method->isProtected() ? 'protected' : 'private');
        if ($rank[$visibility] < $rank[$parent['visibility']]) {
            $problems[] = "$visibility narrows PrestaShop's {$parent['visibility']}";
        }
        $mine = $method->getParameters();
        $theirs = $parent['parameters'] ?? [];
        if (count($mine) < count($theirs)) {
            $problems[] = 'takes ' . count($mine) . ' parameters, PrestaShop passes up to ' . count($theirs) . ' (fatal: incompatible declaration)';
        }
        foreach ($mine as $i => $param) {
            if (!$param->isOptional() && (!isset($theirs[$i]) || ($theirs[$i]['has_default'] ?? false))) {
                $problems[] = '$' . $param->getName() . ' is required where PrestaShop\'s is optional or absent';
            }
            if (isset($theirs[$i]) && $param->hasType() && self::typeName($param->getType()) !== self::normaliseType($theirs[$i]['type'] ?? null, $theirs[$i]['default'] ?? null)) {
                $problems[] = '$' . $param->getName() . ' narrows the parameter type';
            }
        }
        if (($parent['return_type'] ?? null) !== null && !$method->hasReturnType()) {
            $problems[] = "PrestaShop's declares the return type {$parent['return_type']}";
        }

        return $problems;
    }

    /**
     * Reads a module file token by token and checks each PrestaShop symbol it reaches: static calls and
     * constants (`Foo::bar(`, `Foo::BAR`), `new Foo(`, `parent::x(`, `$this->x` in a class extending a
     * PrestaShop class, and calls or property reads on values of a known type (typed parameters and
     * promoted properties, `@var` on properties, `$x = new Foo(`, and what the data documents a method or
     * property to return, e.g. Context::getContext() → Context, Context::$link → Link).
     *
     * @return list<string>
     */
    private function scan(string $file): array
    {
        $short = substr($file, strlen(dirname(FULFILLMENT_TESTS_MODULE_DIR)) + 1);
        $tokens = array_values(array_filter(
            \PhpToken::tokenize((string) file_get_contents($file)),
            static fn (\PhpToken $t): bool => !$t->is([T_WHITESPACE, T_COMMENT])
        ));
        $problems = [];
        $namespace = '';
        $class = null;
        $classTypes = [];
        $vars = [];
        $doc = null;
        $n = count($tokens);
        for ($i = 0; $i < $n; ++$i) {
            $t = $tokens[$i];
            if ($t->is(T_DOC_COMMENT)) {
                $doc = $t->text;
                // An inline `/** @var Foo $x */` types a local variable.
                if (preg_match('/@var\s+\\\\?([A-Z][\\\\\w]*)[|\\w]*\s+\$(\w+)/', $doc, $m)) {
                    $vars['$' . $m[2]] = $m[1];
                }
                continue;
            }
            if ($t->is(T_NAMESPACE)) {
                $namespace = $tokens[$i + 1]->text;
            } elseif ($t->is(T_CLASS) && $tokens[$i + 1]->is(T_STRING) && !$tokens[$i - 1]->is([T_DOUBLE_COLON, T_NEW])) {
                $class = ($namespace === '' ? '' : $namespace . '\\') . $tokens[$i + 1]->text;
                $classTypes = self::declaredPropertyTypes($class);
            } elseif ($t->is(T_FUNCTION)) {
                $vars = [];
                // `@param Foo $x` in the function's docblock (an untyped parameter PrestaShop passes).
                preg_match_all('/@param\s+\\\\?([A-Z][\\\\\w]*)[|\\w]*\s+\$(\w+)/', (string) $doc, $params, PREG_SET_ORDER);
                foreach ($params as [, $paramType, $paramName]) {
                    $vars['$' . $paramName] = $paramType;
                }
                // Typed parameters of this function: `\Foo $x` (and promoted `private \Foo $x`).
                for ($j = $i + 1; $j < $n && $tokens[$j]->text !== '{' && $tokens[$j]->text !== ';'; ++$j) {
                    if ($tokens[$j]->is(T_VARIABLE) && $tokens[$j - 1]->is([T_NAME_FULLY_QUALIFIED, T_STRING, T_NAME_QUALIFIED])) {
                        $vars[$tokens[$j]->text] = ltrim($tokens[$j - 1]->text, '\\');
                    }
                }
            } elseif ($t->is(T_VARIABLE) && ($tokens[$i + 1]->text ?? '') === '=' && $tokens[$i + 2]->is(T_NEW)) {
                $vars[$t->text] = ltrim($tokens[$i + 3]->text, '\\');
            } elseif (
                $t->is(T_VARIABLE) && ($tokens[$i + 1]->text ?? '') === '=' && $tokens[$i + 2]->is([T_NAME_FULLY_QUALIFIED, T_STRING])
                && ($tokens[$i + 3]->text ?? '') === '::' && ($tokens[$i + 5]->text ?? '') === '(' && $this->facts->isKnown(ltrim($tokens[$i + 2]->text, '\\'))
            ) {
                // `$db = Db::getInstance()`: the type the method documents it returns.
                $called = $this->facts->member($this->facts->versions()[0], ltrim($tokens[$i + 2]->text, '\\'), 'methods', $tokens[$i + 4]->text);
                $returned = PrestaShopSignatures::classesOf($called[1]['doc_return'] ?? null);
                if ($returned !== []) {
                    $vars[$t->text] = $returned[0];
                }
            }
            if (in_array($t->text, [';', '{', '}'], true)) {
                $doc = null;
            }

            $line = "$short:{$t->line}";
            // The start of a chain and its type.
            $type = null;
            $j = $i;
            if ($t->is(T_VARIABLE) && $t->text === '$this' && $class !== null) {
                $type = $class;
            } elseif ($t->is(T_VARIABLE) && isset($vars[$t->text])) {
                $type = $vars[$t->text];
            } elseif ($t->is(T_STRING) && $t->text === 'parent' && ($tokens[$i + 1]->text ?? '') === '::' && $class !== null) {
                $parent = (new \ReflectionClass($class))->getParentClass();
                if ($parent === false || !$this->facts->isKnown(self::prestaShopParentOf(new \ReflectionClass($class)) ?? '')) {
                    continue;
                }
                $type = $parent->getName();
            } elseif ($t->is([T_NAME_FULLY_QUALIFIED, T_STRING]) && ($tokens[$i + 1]->text ?? '') === '::' && $this->facts->isKnown(ltrim($t->text, '\\'))) {
                $type = ltrim($t->text, '\\');
            } elseif ($t->is(T_NEW) && $tokens[$i + 1]->is([T_NAME_FULLY_QUALIFIED, T_STRING]) && $this->facts->isKnown(ltrim($tokens[$i + 1]->text, '\\'))) {
                $newClass = ltrim($tokens[$i + 1]->text, '\\');
                foreach ($this->facts->versions() as $version) {
                    $decl = $this->facts->declaration($version, $newClass);
                    if ($decl === null) {
                        $problems[] = "$version: $line: new $newClass: no such class";
                    } elseif (($decl['abstract'] ?? false) || $decl['kind'] !== 'class') {
                        $problems[] = "$version: $line: new $newClass: it is abstract";
                    } else {
                        $ctor = $this->facts->member($version, $newClass, 'methods', '__construct');
                        if ($ctor !== null && $ctor[1]['visibility'] !== 'public') {
                            $problems[] = "$version: $line: new $newClass: its constructor is {$ctor[1]['visibility']}";
                        }
                    }
                }
                continue;
            } else {
                continue;
            }

            // Walk `->name`, `::name` steps while the type is known.
            $first = true;
            // Each version may document a different type for the same step.
            $typeIn = array_fill_keys($this->facts->versions(), $type);
            while (array_filter($typeIn) !== [] && isset($tokens[$j + 2]) && in_array($tokens[$j + 1]->text, ['->', '::', '?->'], true)) {
                $static = $tokens[$j + 1]->text === '::';
                $nameToken = $tokens[$j + 2];
                if (!$nameToken->is([T_STRING, T_CLASS])) {
                    break;
                }
                $member = $nameToken->text;
                $isCall = ($tokens[$j + 3]->text ?? '') === '(';
                $fromThis = $first && ($tokens[$i]->text === '$this' || $tokens[$i]->text === 'parent');
                foreach ($typeIn as $version => $versionType) {
                    if ($versionType === null) {
                        continue;
                    }
                    [$problem, $typeIn[$version]] = $this->checkMember((string) $version, $versionType, $member, $static, $isCall, $fromThis, $class, $classTypes);
                    if ($problem !== null) {
                        $problems[] = "$version: $line: $problem";
                    }
                }
                if ($isCall) {
                    $j = self::closingParenthesis($tokens, $j + 3);
                    if (!in_array($tokens[$j + 1]->text ?? '', ['->', '?->'], true)) {
                        break;
                    }
                } else {
                    $j += 2;
                }
                $first = false;
            }
        }

        return $problems;
    }

    /**
     * Checks one step of a chain; returns the problem (or null) and the type the step leads to.
     *
     * @param array<string, string> $classTypes property name => documented type, of the calling class
     *
     * @return array{0: ?string, 1: ?string}
     */
    private function checkMember(string $version, string $type, string $member, bool $static, bool $isCall, bool $fromThis, ?string $caller, array $classTypes): array
    {
        if ($member === 'class' && $static) {
            return [null, null];
        }
        // A class of the module: its own members first, then what it inherits from PrestaShop.
        if (array_filter(PrestaShopSignatures::classesOf($type), [$this->facts, 'isKnown']) === []) {
            if (!class_exists($type) || str_starts_with($type, 'FulfillmentConnector\\') === false && !self::isModuleClass($type)) {
                return [null, null];
            }
            $reflection = new \ReflectionClass($type);
            if ($isCall && $reflection->hasMethod($member) && self::isModuleClass($reflection->getMethod($member)->getDeclaringClass()->getName())) {
                $returnType = $reflection->getMethod($member)->getReturnType();

                return [null, $returnType instanceof \ReflectionNamedType ? $returnType->getName() : null];
            }
            if (!$isCall && !$static && $fromThis && isset($classTypes[$member])) {
                return [null, $classTypes[$member]];
            }
            if (!$isCall && $reflection->hasProperty($member) && self::isModuleClass($reflection->getProperty($member)->getDeclaringClass()->getName())) {
                return [null, $classTypes[$member] ?? null];
            }
            if (!$isCall && $static && $reflection->hasConstant($member)) {
                return [null, null];
            }
            $psParent = self::prestaShopParentOf($reflection);
            if ($psParent === null) {
                return [null, null];
            }
            $type = $psParent;
        }

        $kind = $isCall ? 'methods' : ($static && !str_starts_with($member, '$') && strtoupper($member) === $member ? 'constants' : 'properties');
        $found = null;
        $candidates = PrestaShopSignatures::classesOf($type);
        foreach ($candidates as $candidate) {
            $found = $this->facts->member($version, $candidate, $kind, ltrim($member, '$'));
            if ($found !== null) {
                $type = $candidate;
                break;
            }
        }
        $symbol = $type . ($static ? '::' : '->') . $member . ($isCall ? '()' : '');
        if ($found === null) {
            return ["$symbol does not exist", null];
        }
        [$owner, $sig] = $found;
        $this->checked[$symbol] = true;
        $visibility = $sig['visibility'] ?? 'public';
        $callerLineage = $caller === null ? [] : array_map('strtolower', $this->facts->lineage($version, self::prestaShopParentOf(new \ReflectionClass($caller)) ?? ''));
        $inHierarchy = $fromThis || in_array(strtolower($owner), $callerLineage, true);
        if ($visibility === 'private' || ($visibility === 'protected' && !$inHierarchy)) {
            return ["$symbol is $visibility in $owner and is called from " . ($caller ?? 'outside any class'), null];
        }
        if ($kind === 'methods' && $static && !($sig['static'] ?? false) && !$fromThis) {
            return ["$symbol is not static", null];
        }
        $next = $kind === 'methods' ? ($sig['doc_return'] ?? $sig['return_type'] ?? null) : ($sig['doc_type'] ?? $sig['type'] ?? null);
        if ($next !== null) {
            $next = implode('|', array_map(static fn (string $c): string => in_array(strtolower($c), ['self', 'static', '$this'], true) ? $type : $c, PrestaShopSignatures::classesOf($next)));
        }

        return [null, $next === '' ? null : $next];
    }

    /**
     * @param list<\PhpToken> $tokens
     */
    private static function closingParenthesis(array $tokens, int $open): int
    {
        $depth = 0;
        for ($i = $open, $n = count($tokens); $i < $n; ++$i) {
            if ($tokens[$i]->text === '(') {
                ++$depth;
            } elseif ($tokens[$i]->text === ')' && --$depth === 0) {
                return $i;
            }
        }

        return $n - 1;
    }

    /**
     * Property name => type for a module class: promoted constructor parameters and typed or
     * `@var`-documented properties.
     *
     * @return array<string, string>
     */
    private static function declaredPropertyTypes(string $class): array
    {
        if (!class_exists($class)) {
            return [];
        }
        $types = [];
        foreach ((new \ReflectionClass($class))->getProperties() as $property) {
            if ($property->getType() instanceof \ReflectionNamedType) {
                $types[$property->getName()] = $property->getType()->getName();
            } elseif (preg_match('/@var\s+([\\\\\w|]+)/', (string) $property->getDocComment(), $m)) {
                $types[$property->getName()] = ltrim($m[1], '\\');
            }
        }

        return $types;
    }

    private static function isModuleClass(string $class): bool
    {
        $file = (new \ReflectionClass($class))->getFileName();

        return $file !== false && str_starts_with($file, FULFILLMENT_TESTS_MODULE_DIR . '/');
    }

    /**
     * The first ancestor that is not the module's own class.
     */
    private static function prestaShopParentOf(\ReflectionClass $class): ?string
    {
        for ($parent = $class->getParentClass(); $parent !== false; $parent = $parent->getParentClass()) {
            if (!self::isModuleClass($parent->getName())) {
                return $parent->getName();
            }
        }

        return null;
    }

    private static function sameConstant(string $real, string $mine, \ReflectionFunctionAbstract $function): bool
    {
        $class = $function instanceof \ReflectionMethod ? $function->getDeclaringClass()->getName() : '';
        $normalise = static fn (string $c): string => strtolower(preg_replace('/^(self|static)::/i', $class . '::', ltrim($c, '\\')) ?? $c);

        return $normalise($real) === $normalise($mine)
            || (str_contains($real, '::') && str_contains($mine, '::') && strtolower(explode('::', $real)[1]) === strtolower(explode('::', $mine)[1]));
    }

    private static function typeName(?\ReflectionType $type): ?string
    {
        return $type === null ? null : self::normaliseType((string) $type);
    }

    /**
     * `?Foo`, `Foo|null` and a `Foo $x = null` parameter are the same type; names lose their leading
     * backslash and scalars their case.
     */
    private static function normaliseType(?string $type, ?string $default = null): ?string
    {
        if ($type === null || $type === '') {
            return null;
        }
        $nullable = str_starts_with($type, '?') || ($default !== null && strtolower($default) === 'null');
        $parts = array_map(static fn (string $p): string => strtolower(ltrim($p, '\\')), explode('|', ltrim($type, '?')));
        if ($nullable && !in_array('null', $parts, true) && !in_array('mixed', $parts, true)) {
            $parts[] = 'null';
        }
        sort($parts);

        return implode('|', $parts);
    }

    private static function isHelper(string|false $doc): bool
    {
        return $doc !== false && str_contains($doc, self::HELPER_TAG);
    }

    /**
     * @return list<string>
     */
    private static function standInClasses(): array
    {
        $dir = dirname(__DIR__) . '/Stub/';
        $classes = [];
        foreach (array_merge(get_declared_classes(), get_declared_interfaces()) as $class) {
            $file = (new \ReflectionClass($class))->getFileName();
            if ($file !== false && str_starts_with($file, $dir) && !str_starts_with($class, 'Stub') && !in_array($class, self::NOT_PRESTASHOP, true)) {
                $classes[] = $class;
            }
        }
        sort($classes);

        return $classes;
    }

    /**
     * @return list<string>
     */
    private static function moduleFiles(): array
    {
        $files = [];
        $iterator = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator(FULFILLMENT_TESTS_MODULE_DIR, \FilesystemIterator::SKIP_DOTS));
        foreach ($iterator as $file) {
            if (str_ends_with($file->getPathname(), '.php') && $file->getFilename() !== 'index.php') {
                $files[] = $file->getPathname();
            }
        }
        sort($files);

        return $files;
    }

    /**
     * @return list<string>
     */
    private static function classesDeclaredIn(string $file): array
    {
        return array_values(array_filter(
            get_declared_classes(),
            static fn (string $c): bool => (new \ReflectionClass($c))->getFileName() === realpath($file)
        ));
    }
}
