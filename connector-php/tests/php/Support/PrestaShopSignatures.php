<?php

/**
 * Reads tests/php/Facts/prestashop-signatures.json (made by bin/extract-signatures.php from real
 * PrestaShop trees): which classes, methods, properties and constants each supported version has, with
 * inheritance resolved (Foo → FooCore → parent → traits → interfaces).
 */

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Support;

final class PrestaShopSignatures
{
    private static ?self $instance = null;

    /** @var array<string, array<string, array<string, mixed>>> version => class => declaration */
    private array $classes = [];

    /** @var array<string, array<string, array<string, mixed>>> version => function => declaration */
    private array $functions = [];

    private function __construct()
    {
        $data = json_decode((string) file_get_contents(dirname(__DIR__) . '/Facts/prestashop-signatures.json'), true, 512, JSON_THROW_ON_ERROR);
        foreach ($data['versions'] as $version => $tree) {
            foreach ($tree['classes'] as $name => $decl) {
                $this->classes[$version][strtolower($name)] = $decl + ['name' => $name];
            }
            $this->functions[$version] = array_change_key_case($tree['functions'], CASE_LOWER);
        }
    }

    public static function load(): self
    {
        return self::$instance ??= new self();
    }

    /**
     * @return list<string>
     */
    public function versions(): array
    {
        return array_map('strval', array_keys($this->classes));
    }

    /**
     * @return array<string, mixed>|null null when the version has no such class (or it is outside the trees)
     */
    public function declaration(string $version, string $class): ?array
    {
        $decl = $this->classes[$version][strtolower(ltrim($class, '\\'))] ?? null;

        return $decl === null || $decl['kind'] === 'external' ? null : $decl;
    }

    public function isKnown(string $class): bool
    {
        foreach ($this->versions() as $version) {
            if (isset($this->classes[$version][strtolower(ltrim($class, '\\'))])) {
                return true;
            }
        }

        return false;
    }

    /**
     * The class, then its parents, then the traits and interfaces of each, as declared in the version.
     *
     * @return list<string>
     */
    public function lineage(string $version, string $class): array
    {
        $seen = [];
        $todo = [ltrim($class, '\\')];
        while ($todo !== []) {
            $name = array_shift($todo);
            $key = strtolower($name);
            if (isset($seen[$key]) || !isset($this->classes[$version][$key])) {
                continue;
            }
            $decl = $this->classes[$version][$key];
            $seen[$key] = $decl['name'];
            $todo = array_merge($todo, $decl['traits'] ?? [], isset($decl['parent']) ? [$decl['parent']] : [], $decl['interfaces'] ?? []);
        }

        return array_values($seen);
    }

    /**
     * The first declaration of a member along the lineage, with the class declaring it.
     *
     * @param 'methods'|'properties'|'constants' $kind
     *
     * @return array{0: string, 1: array<string, mixed>}|null
     */
    public function member(string $version, string $class, string $kind, string $name): ?array
    {
        foreach ($this->lineage($version, $class) as $owner) {
            $members = $this->classes[$version][strtolower($owner)][$kind] ?? [];
            foreach ($members as $memberName => $member) {
                if ($kind === 'methods' ? strcasecmp((string) $memberName, $name) === 0 : (string) $memberName === $name) {
                    return [$owner, $member];
                }
            }
        }

        return null;
    }

    /**
     * @return array<string, mixed>|null
     */
    public function function(string $version, string $name): ?array
    {
        return $this->functions[$version][strtolower($name)] ?? null;
    }

    /**
     * The classes a documented type names (`Link|null` → [Link]), those the data knows first.
     *
     * @return list<string>
     */
    public static function classesOf(?string $type): array
    {
        if ($type === null) {
            return [];
        }
        $classes = [];
        foreach (explode('|', str_replace('?', '', $type)) as $part) {
            $part = ltrim($part, '\\');
            if ($part !== '' && preg_match('/^[A-Z]/', $part) && !str_ends_with($part, '[]')) {
                $classes[] = $part;
            }
        }

        return $classes;
    }

    /**
     * A default value as written in PrestaShop's source, as a comparable value: the literal's value for
     * null, booleans, numbers, strings and empty arrays, otherwise ['expr' => the text].
     */
    public static function literal(?string $text): mixed
    {
        if ($text === null) {
            return null;
        }
        $lower = strtolower($text);
        if (in_array($lower, ['null', 'true', 'false'], true)) {
            return ['null' => null, 'true' => true, 'false' => false][$lower];
        }
        if (preg_match('/^-?\d+$/', $text)) {
            return (int) $text;
        }
        if (is_numeric($text)) {
            return (float) $text;
        }
        if (in_array($lower, ['[]', 'array()'], true)) {
            return [];
        }
        if (preg_match("/^'((?:[^'\\\\]|\\\\.)*)'$/s", $text, $m)) {
            return str_replace(["\\\\", "\\'"], ['\\', "'"], $m[1]);
        }
        if (preg_match('/^"((?:[^"\\\\$]|\\\\.)*)"$/s', $text, $m)) {
            return stripcslashes($m[1]);
        }

        return ['expr' => $text];
    }
}
