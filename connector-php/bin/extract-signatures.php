<?php

/**
 * Extracts, from real PrestaShop source trees, the signatures of the core classes the module touches
 * (and of all their ancestors, interfaces and traits), as data for
 * tests/php/Unit/StandInsMatchPrestaShopTest.php, which checks the PHPUnit stand-ins and the module's
 * calls against them.
 *
 *   php connector-php/bin/extract-signatures.php \
 *       --tree 8.0.5=/work/.mirror/librasoft-fr+prestashop-versions/repo@v8.0.5 \
 *       --tree 8.2.1=/work/.mirror/librasoft-fr+prestashop-versions/repo@v8.2.1 \
 *       --tree 9.0.0=/work/.mirror/modirudresh+prestashop-9.0.0/repo@HEAD \
 *       > connector-php/tests/php/Facts/prestashop-signatures.json
 *
 * Each tree is a git directory and a revision; `git archive` copies classes/, config/alias.php and
 * src/PrestaShopBundle/Translation/ into a temporary directory. Nothing is loaded or executed: every
 * file is read with PHP's own tokenizer (token_get_all), because PrestaShop's classes cannot be loaded
 * without the whole shop (Reflection would need a booted kernel, a database and vendor/). For each
 * class, interface or trait it records the kind, abstract/final, parent, interfaces and traits (names
 * resolved through the file's namespace and `use` imports); for each method its visibility, static,
 * abstract, final, by-reference return, parameters (name, type, by-ref, variadic, default as written)
 * and return type, plus the type its docblock's `@return` names; for each property its visibility,
 * static, type, default as written and the type its docblock's `@var` names; each constant with its
 * visibility and value as written. It also records the functions of config/alias.php (pSQL, bqSQL).
 *
 * PrestaShop defines `FooCore` in classes/ and, at run time, `class Foo extends FooCore {}` (abstract
 * when FooCore is) unless an override exists. The data has both: `Foo` as that empty alias and
 * `FooCore` with the members.
 *
 * Only ROOTS and what they inherit from are kept, so the data stays small. Adding a core class the
 * module starts using means adding it to ROOTS and regenerating.
 */

declare(strict_types=1);

const ROOTS = [
    // What the module's code uses.
    'Module', 'PaymentModule', 'ModuleFrontController', 'Db', 'Configuration', 'Tools', 'Context', 'Link',
    'Cache', 'Validate', 'PrestaShopLogger', 'HelperForm', 'AdminController', 'Order', 'Cart', 'Customer',
    'Address', 'Currency', 'Country', 'Product', 'Combination', 'StockAvailable', 'Shop', 'Language',
    'ObjectModel', 'PrestaShopBundle\\Translation\\TranslatorComponent',
    // The SOURCE's report of the orders the hub created (order-status events).
    'OrderCarrier', 'OrderState',
];

/** Longer default values and constant values are kept as their length and hash. */
const MAX_LITERAL = 160;

/** The file that defines pSQL() and bqSQL(). */
const FUNCTIONS_FILE = 'config/alias.php';

main($argv);

/**
 * @param list<string> $argv
 */
function main(array $argv): void
{
    $trees = [];
    for ($i = 1; $i < count($argv); ++$i) {
        if ($argv[$i] === '--tree' && isset($argv[$i + 1])) {
            $spec = $argv[++$i];
        } elseif (str_starts_with($argv[$i], '--tree=')) {
            $spec = substr($argv[$i], 7);
        } else {
            fail('usage: extract-signatures.php --tree VERSION=GIT_DIR@REV [--tree …]');
        }
        if (!preg_match('/^([^=]+)=(.+)@([^@]+)$/', $spec, $m)) {
            fail("bad --tree value: $spec (expected VERSION=GIT_DIR@REV)");
        }
        $trees[$m[1]] = ['git_dir' => $m[2], 'rev' => $m[3]];
    }
    if ($trees === []) {
        fail('usage: extract-signatures.php --tree VERSION=GIT_DIR@REV [--tree …]');
    }

    $out = [
        'generated_by' => 'connector-php/bin/extract-signatures.php',
        'roots' => ROOTS,
        'versions' => [],
    ];
    foreach ($trees as $version => $tree) {
        $dir = checkout($tree['git_dir'], $tree['rev']);
        try {
            $index = [];
            $files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS));
            foreach ($files as $file) {
                if (str_ends_with($file->getPathname(), '.php')) {
                    $relative = substr($file->getPathname(), strlen($dir) + 1);
                    foreach (parseFile((string) file_get_contents($file->getPathname()), $relative) as $name => $decl) {
                        $index[$name] ??= $decl;
                    }
                }
            }
            $out['versions'][$version] = [
                'revision' => $tree['rev'],
                'commit' => trim(shell('git --git-dir=' . escapeshellarg($tree['git_dir']) . ' rev-parse ' . escapeshellarg($tree['rev'] . '^{commit}'))),
                'classes' => closure($index),
                'functions' => parseFunctions((string) @file_get_contents($dir . '/' . FUNCTIONS_FILE)),
            ];
        } finally {
            shell('rm -rf ' . escapeshellarg($dir));
        }
    }

    echo encode(withoutEmpty($out)), "\n";
}

/**
 * Drops the keys whose value is false, null or an empty list (a reader takes a missing key as that),
 * and elides long default values (the ObjectModel `$definition` arrays) to their length and hash.
 */
function withoutEmpty(mixed $value, ?string $key = null): mixed
{
    if (is_string($value) && in_array($key, ['default', 'value'], true) && strlen($value) > MAX_LITERAL) {
        return sprintf('/* %d characters, sha1 %s */', strlen($value), substr(sha1($value), 0, 12));
    }
    if (!is_array($value)) {
        return $value;
    }
    $result = [];
    foreach ($value as $k => $v) {
        $v = withoutEmpty($v, is_string($k) ? $k : null);
        if (is_string($k) && ($v === false || $v === null || $v === [])) {
            continue;
        }
        $result[$k] = $v;
    }

    return $result;
}

/**
 * JSON with one line per member (method, property, constant), so a regeneration diffs by member.
 */
function encode(mixed $value, int $level = 0): string
{
    $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;
    if (!is_array($value) || $value === [] || $level >= 6) {
        return json_encode($value, $flags);
    }
    $pad = str_repeat('  ', $level + 1);
    $list = array_is_list($value);
    $lines = [];
    foreach ($value as $k => $v) {
        $lines[] = $pad . ($list ? '' : json_encode((string) $k, $flags) . ': ') . encode($v, $level + 1);
    }

    return ($list ? '[' : '{') . "\n" . implode(",\n", $lines) . "\n" . str_repeat('  ', $level) . ($list ? ']' : '}');
}

function fail(string $message): never
{
    fwrite(STDERR, $message . "\n");
    exit(2);
}

function shell(string $command): string
{
    $output = [];
    exec($command, $output, $status);
    if ($status !== 0) {
        fail("command failed ($status): $command");
    }

    return implode("\n", $output);
}

function checkout(string $gitDir, string $rev): string
{
    $dir = sys_get_temp_dir() . '/ps-signatures-' . bin2hex(random_bytes(6));
    mkdir($dir);
    $paths = ['classes', FUNCTIONS_FILE, 'src/PrestaShopBundle/Translation'];
    shell(sprintf(
        'git --git-dir=%s archive %s %s | tar -x -C %s',
        escapeshellarg($gitDir),
        escapeshellarg($rev),
        implode(' ', array_map('escapeshellarg', $paths)),
        escapeshellarg($dir)
    ));

    return $dir;
}

/**
 * The roots (through the Foo → FooCore alias) and everything they extend, implement or use.
 *
 * @param array<string, array<string, mixed>> $index
 *
 * @return array<string, array<string, mixed>>
 */
function closure(array $index): array
{
    $kept = [];
    $todo = ROOTS;
    while ($todo !== []) {
        $name = array_shift($todo);
        if (isset($kept[$name])) {
            continue;
        }
        if (isset($index[$name])) {
            $decl = $index[$name];
        } elseif (isset($index[$name . 'Core'])) {
            $core = $index[$name . 'Core'];
            $decl = [
                'kind' => $core['kind'],
                'alias_of_core' => true,
                'abstract' => $core['abstract'],
                'final' => false,
                'parent' => $name . 'Core',
                'interfaces' => [],
                'traits' => [],
                'file' => $core['file'],
                'constants' => [],
                'properties' => [],
                'methods' => [],
            ];
        } else {
            // Outside the extracted folders (Symfony, vendor/): named by its children, not described.
            $kept[$name] = ['kind' => 'external'];
            continue;
        }
        $kept[$name] = $decl;
        foreach (array_merge($decl['parent'] === null ? [] : [$decl['parent']], $decl['interfaces'], $decl['traits']) as $next) {
            $todo[] = $next;
        }
    }
    ksort($kept);

    return $kept;
}

/**
 * Significant tokens (no whitespace or comments), each as [id, text, doc comment before it].
 *
 * @return list<array{0: int, 1: string, 2: ?string}>
 */
function tokens(string $code): array
{
    $result = [];
    $doc = null;
    foreach (token_get_all($code) as $token) {
        $id = is_array($token) ? $token[0] : 0;
        $text = is_array($token) ? $token[1] : $token;
        if ($id === T_DOC_COMMENT) {
            $doc = $text;
            continue;
        }
        if ($id === T_WHITESPACE || $id === T_COMMENT) {
            continue;
        }
        $result[] = [$id, $text, $doc];
        if (
            !in_array($id, [T_PUBLIC, T_PROTECTED, T_PRIVATE, T_STATIC, T_ABSTRACT, T_FINAL, T_VAR, T_READONLY, T_CONST, T_FUNCTION], true)
            && !in_array($text, ['?', '|', '&'], true) && !isTypeToken($id)
        ) {
            $doc = null;
        }
    }

    return $result;
}

function isTypeToken(int $id): bool
{
    return in_array($id, [T_STRING, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_ARRAY, T_CALLABLE, T_STATIC], true);
}

/**
 * @return array<string, array<string, mixed>> fully qualified class name => declaration
 */
function parseFile(string $code, string $file): array
{
    $t = tokens($code);
    $n = count($t);
    $namespace = '';
    $uses = [];
    $found = [];
    $depth = 0;
    for ($i = 0; $i < $n; ++$i) {
        [$id, $text] = $t[$i];
        if ($text === '{' || $id === T_CURLY_OPEN || $id === T_DOLLAR_OPEN_CURLY_BRACES) {
            ++$depth;
        } elseif ($text === '}') {
            --$depth;
        } elseif ($id === T_NAMESPACE && $depth === 0 && isset($t[$i + 1]) && in_array($t[$i + 1][0], [T_STRING, T_NAME_QUALIFIED], true)) {
            $namespace = $t[$i + 1][1];
            $uses = [];
        } elseif ($id === T_USE && $depth === 0) {
            $j = $i + 1;
            if (in_array($t[$j][1], ['function', 'const'], true)) {
                continue;
            }
            $name = ltrim($t[$j][1], '\\');
            $alias = substr($name, (int) strrpos('\\' . $name, '\\'));
            if (($t[$j + 1][0] ?? null) === T_AS) {
                $alias = $t[$j + 2][1];
            }
            $uses[strtolower($alias)] = $name;
        } elseif (
            in_array($id, [T_CLASS, T_INTERFACE, T_TRAIT, T_ENUM], true) && $depth === ($namespace !== '' && braced($t, $namespace) ? 1 : 0)
            && ($t[$i + 1][0] ?? null) === T_STRING && !in_array($t[$i - 1][0] ?? null, [T_DOUBLE_COLON, T_NEW], true)
        ) {
            $resolve = static fn (string $n): string => resolveName($n, $namespace, $uses);
            $modifiers = [];
            for ($k = $i - 1; $k >= 0 && in_array($t[$k][0], [T_ABSTRACT, T_FINAL, T_READONLY], true); --$k) {
                $modifiers[] = strtolower($t[$k][1]);
            }
            $name = ($namespace === '' ? '' : $namespace . '\\') . $t[$i + 1][1];
            $decl = [
                'kind' => strtolower($text),
                'abstract' => in_array('abstract', $modifiers, true),
                'final' => in_array('final', $modifiers, true),
                'parent' => null,
                'interfaces' => [],
                'traits' => [],
                'file' => $file,
                'constants' => [],
                'properties' => [],
                'methods' => [],
            ];
            $j = $i + 2;
            while ($t[$j][1] !== '{') {
                if ($t[$j][0] === T_EXTENDS) {
                    ++$j;
                    $list = [];
                    while ($t[$j][1] !== '{' && $t[$j][0] !== T_IMPLEMENTS) {
                        if ($t[$j][1] !== ',') {
                            $list[] = $resolve($t[$j][1]);
                        }
                        ++$j;
                    }
                    if ($decl['kind'] === 'interface') {
                        $decl['interfaces'] = $list;
                    } else {
                        $decl['parent'] = $list[0] ?? null;
                    }
                    continue;
                }
                if ($t[$j][0] === T_IMPLEMENTS) {
                    ++$j;
                    while ($t[$j][1] !== '{') {
                        if ($t[$j][1] !== ',') {
                            $decl['interfaces'][] = $resolve($t[$j][1]);
                        }
                        ++$j;
                    }
                    continue;
                }
                ++$j;
            }
            $i = parseBody($t, $j + 1, $decl, $resolve);
            $found[$name] = $decl;
        }
    }

    return $found;
}

/**
 * Whether `namespace Foo { … }` (braced) rather than `namespace Foo;`.
 *
 * @param list<array{0: int, 1: string, 2: ?string}> $t
 */
function braced(array $t, string $namespace): bool
{
    foreach ($t as $i => $token) {
        if ($token[0] === T_NAMESPACE && ($t[$i + 1][1] ?? null) === $namespace) {
            return ($t[$i + 2][1] ?? null) === '{';
        }
    }

    return false;
}

/**
 * @param array<string, string> $uses lower-case alias => fully qualified name
 */
function resolveName(string $name, string $namespace, array $uses): string
{
    if ($name[0] === '\\') {
        return substr($name, 1);
    }
    $lower = strtolower($name);
    if (in_array($lower, ['self', 'static', 'parent', 'array', 'callable', 'bool', 'int', 'float', 'string', 'iterable', 'object', 'mixed', 'void', 'null', 'false', 'true', 'never'], true)) {
        return $name;
    }
    $first = strtolower(explode('\\', $name)[0]);
    if (isset($uses[$first])) {
        return $uses[$first] . substr($name, strlen($first));
    }

    return $namespace === '' ? $name : $namespace . '\\' . $name;
}

/**
 * Reads a class body from the token after its `{` to its `}`; returns the index of that `}`.
 *
 * @param list<array{0: int, 1: string, 2: ?string}> $t
 * @param array<string, mixed> $decl
 */
function parseBody(array $t, int $i, array &$decl, callable $resolve): int
{
    $modifiers = [];
    $doc = null;
    while (true) {
        [$id, $text, $tokenDoc] = $t[$i];
        if ($text === '}') {
            return $i;
        }
        if (in_array($id, [T_PUBLIC, T_PROTECTED, T_PRIVATE, T_STATIC, T_ABSTRACT, T_FINAL, T_VAR, T_READONLY], true)) {
            $modifiers[] = strtolower($text);
            $doc ??= $tokenDoc;
            ++$i;
            continue;
        }
        if ($id === T_ATTRIBUTE) {
            $i = skipBalanced($t, $i, '[', ']') + 1;
            continue;
        }
        if ($id === T_USE) {
            ++$i;
            while ($t[$i][1] !== ';' && $t[$i][1] !== '{') {
                if ($t[$i][1] !== ',') {
                    $decl['traits'][] = $resolve($t[$i][1]);
                }
                ++$i;
            }
            if ($t[$i][1] === '{') {
                $i = skipBalanced($t, $i, '{', '}');
            }
            ++$i;
            continue;
        }
        if ($id === T_CONST) {
            ++$i;
            // A typed constant (PHP 8.3) has its type before the name.
            while (($t[$i + 1][1] ?? '') !== '=') {
                ++$i;
            }
            while (true) {
                $constName = $t[$i][1];
                [$value, $i] = expression($t, $i + 2);
                $decl['constants'][$constName] = ['visibility' => visibility($modifiers), 'value' => $value];
                if ($t[$i][1] === ';') {
                    break;
                }
                ++$i;
            }
            $modifiers = [];
            $doc = null;
            ++$i;
            continue;
        }
        if ($id === T_FUNCTION) {
            $doc ??= $tokenDoc;
            ++$i;
            $byRef = false;
            if ($t[$i][1] === '&') {
                $byRef = true;
                ++$i;
            }
            $name = $t[$i][1];
            ++$i;
            [$params, $i] = parameters($t, $i, $resolve);
            $returnType = null;
            if ($t[$i][1] === ':') {
                [$returnType, $i] = type($t, $i + 1, $resolve);
            }
            $decl['methods'][$name] = [
                'visibility' => visibility($modifiers),
                'static' => in_array('static', $modifiers, true),
                'abstract' => in_array('abstract', $modifiers, true) || $decl['kind'] === 'interface',
                'final' => in_array('final', $modifiers, true),
                'by_ref' => $byRef,
                'parameters' => $params,
                'return_type' => $returnType,
                'doc_return' => docType($doc, 'return', $resolve),
            ];
            $i = $t[$i][1] === '{' ? skipBalanced($t, $i, '{', '}') + 1 : $i + 1;
            $modifiers = [];
            $doc = null;
            continue;
        }
        if ($modifiers !== [] && ($id === T_VARIABLE || isTypeToken($id) || $text === '?')) {
            $type = null;
            if ($id !== T_VARIABLE) {
                [$type, $i] = type($t, $i, $resolve);
            }
            while (true) {
                $propName = substr($t[$i][1], 1);
                $default = null;
                $hasDefault = false;
                ++$i;
                if ($t[$i][1] === '=') {
                    [$default, $i] = expression($t, $i + 1);
                    $hasDefault = true;
                }
                $decl['properties'][$propName] = [
                    'visibility' => visibility($modifiers),
                    'static' => in_array('static', $modifiers, true),
                    'readonly' => in_array('readonly', $modifiers, true),
                    'type' => $type,
                    'has_default' => $hasDefault,
                    'default' => $default,
                    'doc_type' => docType($doc, 'var', $resolve),
                ];
                if ($t[$i][1] === ';') {
                    break;
                }
                ++$i;
            }
            $modifiers = [];
            $doc = null;
            ++$i;
            continue;
        }
        ++$i;
    }
}

function visibility(array $modifiers): string
{
    foreach (['private', 'protected'] as $v) {
        if (in_array($v, $modifiers, true)) {
            return $v;
        }
    }

    return 'public';
}

/**
 * @param list<array{0: int, 1: string, 2: ?string}> $t
 */
function skipBalanced(array $t, int $i, string $open, string $close): int
{
    $depth = 0;
    for ($n = count($t); $i < $n; ++$i) {
        $text = $t[$i][1];
        if ($text === $open || ($open === '{' && in_array($t[$i][0], [T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES], true)) || ($open === '[' && $t[$i][0] === T_ATTRIBUTE)) {
            ++$depth;
        } elseif ($text === $close) {
            --$depth;
            if ($depth === 0) {
                return $i;
            }
        }
    }

    return $i;
}

/**
 * An expression as written (tokens joined, a space only between words), up to `,` `;` or `)` at its
 * own nesting level; returns it and the index of that delimiter.
 *
 * @param list<array{0: int, 1: string, 2: ?string}> $t
 *
 * @return array{0: string, 1: int}
 */
function expression(array $t, int $i): array
{
    $depth = 0;
    $text = '';
    $previousWord = false;
    for (;; ++$i) {
        $s = $t[$i][1];
        if ($depth === 0 && in_array($s, [',', ';', ')'], true)) {
            return [$text, $i];
        }
        if (in_array($s, ['(', '['], true)) {
            ++$depth;
        } elseif (in_array($s, [')', ']'], true)) {
            --$depth;
        }
        $word = (bool) preg_match('/^[\w\\\\$]/', $s);
        $text .= ($word && $previousWord ? ' ' : '') . ($s === ',' ? ', ' : (in_array($s, ['=>', '.', '|', '+', '-', '*', '?', ':'], true) && $depth > 0 ? " $s " : $s));
        $previousWord = $word;
    }
}

/**
 * A type declaration; returns it (names resolved, `?Foo` kept) and the index after it.
 *
 * @param list<array{0: int, 1: string, 2: ?string}> $t
 *
 * @return array{0: string, 1: int}
 */
function type(array $t, int $i, callable $resolve): array
{
    $type = '';
    while (
        isTypeToken($t[$i][0])
        || in_array($t[$i][1], ['?', '|'], true)
        || ($t[$i][1] === '&' && !in_array($t[$i + 1][0], [T_VARIABLE, T_ELLIPSIS], true))
    ) {
        $type .= isTypeToken($t[$i][0]) ? $resolve($t[$i][1]) : $t[$i][1];
        ++$i;
    }

    return [$type, $i];
}

/**
 * @param list<array{0: int, 1: string, 2: ?string}> $t index $i is the `(`
 *
 * @return array{0: list<array<string, mixed>>, 1: int} the parameters and the index after `)`
 */
function parameters(array $t, int $i, callable $resolve): array
{
    $params = [];
    ++$i;
    while ($t[$i][1] !== ')') {
        $param = ['name' => null, 'type' => null, 'by_ref' => false, 'variadic' => false, 'promoted' => null, 'has_default' => false, 'default' => null];
        while (true) {
            $id = $t[$i][0];
            if ($id === T_ATTRIBUTE) {
                $i = skipBalanced($t, $i, '[', ']') + 1;
            } elseif (in_array($id, [T_PUBLIC, T_PROTECTED, T_PRIVATE, T_READONLY], true)) {
                $param['promoted'] = $id === T_READONLY ? ($param['promoted'] ?? 'public') : strtolower($t[$i][1]);
                ++$i;
            } elseif ($t[$i][1] === '&') {
                $param['by_ref'] = true;
                ++$i;
            } elseif ($id === T_ELLIPSIS) {
                $param['variadic'] = true;
                ++$i;
            } elseif ($id === T_VARIABLE) {
                $param['name'] = substr($t[$i][1], 1);
                ++$i;
                break;
            } else {
                [$param['type'], $i] = type($t, $i, $resolve);
            }
        }
        if ($t[$i][1] === '=') {
            [$param['default'], $i] = expression($t, $i + 1);
            $param['has_default'] = true;
        }
        $params[] = $param;
        if ($t[$i][1] === ',') {
            ++$i;
        }
    }

    return [$params, $i + 1];
}

/**
 * The first type a docblock tag names (`@var Link|null` → `Link|null`), names resolved.
 */
function docType(?string $doc, string $tag, callable $resolve): ?string
{
    if ($doc === null || !preg_match('/@' . $tag . '\s+([\\\\\w|?\[\]]+)/', $doc, $m)) {
        return null;
    }

    return implode('|', array_map(
        static fn (string $part): string => preg_match('/^[A-Z\\\\]/', $part) ? $resolve($part) : $part,
        explode('|', $m[1])
    ));
}

/**
 * Top-level functions (config/alias.php), with their parameters.
 *
 * @return array<string, array<string, mixed>>
 */
function parseFunctions(string $code): array
{
    $t = tokens($code);
    $functions = [];
    $depth = 0;
    $identity = static fn (string $n): string => $n;
    for ($i = 0, $n = count($t); $i < $n; ++$i) {
        $text = $t[$i][1];
        if ($t[$i][0] === T_FUNCTION && ($t[$i + 1][0] ?? null) === T_STRING && ($t[$i + 2][1] ?? null) === '(') {
            [$params, $j] = parameters($t, $i + 2, $identity);
            $functions[$t[$i + 1][1]] = ['parameters' => $params, 'conditional' => $depth > 0];
            $i = skipBalanced($t, $j, '{', '}');
            continue;
        }
        if ($text === '{') {
            ++$depth;
        } elseif ($text === '}') {
            --$depth;
        }
    }
    ksort($functions);

    return $functions;
}
