<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Support;

/**
 * A small validator for the OpenAPI 3.0 schema objects the hub publishes.
 *
 * Values are validated as json_decode() gives them WITHOUT `$associative`, so that a JSON object
 * (stdClass) and a JSON array (list) stay different: `"attributes":[]` is not an object.
 *
 * Checked: type (object, array, string, integer, number, boolean), nullable, required, properties,
 * additionalProperties (false or a schema), items, $ref (local "#/..."), enum, minLength/maxLength,
 * pattern, minimum/maximum, minItems/maxItems, minProperties/maxProperties, allOf/anyOf/oneOf. Annotations (description, format,
 * example, title, ...) are ignored. Any other keyword is reported as an error, so that the schema can
 * never ask for something this validator silently skips.
 */
final class JsonSchemaValidator
{
    private const ANNOTATIONS = [
        'description', 'format', 'title', 'example', 'examples', 'default', 'deprecated', 'readOnly',
        'writeOnly', 'externalDocs', 'xml', 'discriminator',
    ];

    /**
     * @param array<string, mixed> $document the whole OpenAPI document, to resolve `$ref`s in
     */
    public function __construct(private readonly array $document)
    {
    }

    /**
     * @param array<string, mixed> $schema
     *
     * @return list<string> one message per violation, prefixed with its path (`$.product.price`)
     */
    public function validate(mixed $value, array $schema, string $path = '$'): array
    {
        if (isset($schema['$ref'])) {
            return $this->validate($value, $this->resolve((string) $schema['$ref']), $path);
        }
        $errors = [];
        foreach (array_keys($schema) as $keyword) {
            if (!in_array($keyword, self::ANNOTATIONS, true) && !self::isChecked((string) $keyword) && !str_starts_with((string) $keyword, 'x-')) {
                $errors[] = sprintf('%s: unsupported schema keyword "%s" (extend the validator)', $path, $keyword);
            }
        }

        if ($value === null) {
            if (($schema['nullable'] ?? false) === true || !isset($schema['type'])) {
                return $errors;
            }
            $errors[] = sprintf('%s: null is not allowed (type %s, not nullable)', $path, $schema['type']);

            return $errors;
        }

        if (isset($schema['type']) && !self::hasType($value, (string) $schema['type'])) {
            $errors[] = sprintf('%s: expected %s, got %s', $path, $schema['type'], self::typeOf($value));

            return $errors;
        }

        if (isset($schema['enum']) && !in_array($value, $schema['enum'], true)) {
            $errors[] = sprintf('%s: %s is not one of %s', $path, json_encode($value), json_encode($schema['enum']));
        }
        if (is_string($value)) {
            array_push($errors, ...$this->validateString($value, $schema, $path));
        }
        if (is_int($value) || is_float($value)) {
            if (isset($schema['minimum']) && $value < $schema['minimum']) {
                $errors[] = sprintf('%s: %s is below the minimum %s', $path, $value, $schema['minimum']);
            }
            if (isset($schema['maximum']) && $value > $schema['maximum']) {
                $errors[] = sprintf('%s: %s is above the maximum %s', $path, $value, $schema['maximum']);
            }
        }
        if ($value instanceof \stdClass) {
            array_push($errors, ...$this->validateObject($value, $schema, $path));
        }
        if (is_array($value)) {
            if (isset($schema['minItems']) && count($value) < $schema['minItems']) {
                $errors[] = sprintf('%s: fewer than %d items', $path, $schema['minItems']);
            }
            if (isset($schema['maxItems']) && count($value) > $schema['maxItems']) {
                $errors[] = sprintf('%s: more than %d items', $path, $schema['maxItems']);
            }
            if (isset($schema['items'])) {
                foreach ($value as $index => $item) {
                    array_push($errors, ...$this->validate($item, $schema['items'], $path . '[' . $index . ']'));
                }
            }
        }

        if ($value instanceof \stdClass) {
            $count = count(get_object_vars($value));
            if (isset($schema['minProperties']) && $count < $schema['minProperties']) {
                $errors[] = sprintf('%s: fewer than %d properties', $path, $schema['minProperties']);
            }
            if (isset($schema['maxProperties']) && $count > $schema['maxProperties']) {
                $errors[] = sprintf('%s: more than %d properties', $path, $schema['maxProperties']);
            }
        }

        foreach ($schema['allOf'] ?? [] as $part) {
            array_push($errors, ...$this->validate($value, $part, $path));
        }
        if (isset($schema['anyOf']) || isset($schema['oneOf'])) {
            $options = $schema['anyOf'] ?? $schema['oneOf'];
            $matching = count(array_filter($options, fn (array $option): bool => $this->validate($value, $option, $path) === []));
            if ($matching === 0 || (isset($schema['oneOf']) && $matching > 1)) {
                $errors[] = sprintf('%s: matches %d of the %s schemas', $path, $matching, isset($schema['oneOf']) ? 'oneOf' : 'anyOf');
            }
        }

        return $errors;
    }

    /**
     * `#/components/schemas/ProductEventBody` → that schema.
     *
     * @return array<string, mixed>
     */
    public function resolve(string $ref): array
    {
        if (!str_starts_with($ref, '#/')) {
            throw new \InvalidArgumentException('Only local $refs are supported: ' . $ref);
        }
        $node = $this->document;
        foreach (explode('/', substr($ref, 2)) as $part) {
            $part = str_replace(['~1', '~0'], ['/', '~'], $part);
            if (!is_array($node) || !array_key_exists($part, $node)) {
                throw new \InvalidArgumentException('Unresolvable $ref: ' . $ref);
            }
            $node = $node[$part];
        }
        if (!is_array($node)) {
            throw new \InvalidArgumentException('$ref does not point to a schema: ' . $ref);
        }

        return $node;
    }

    /**
     * @param array<string, mixed> $schema
     *
     * @return list<string>
     */
    private function validateObject(\stdClass $value, array $schema, string $path): array
    {
        $errors = [];
        $members = get_object_vars($value);
        foreach ($schema['required'] ?? [] as $name) {
            if (!array_key_exists($name, $members)) {
                $errors[] = sprintf('%s: missing required property "%s"', $path, $name);
            }
        }
        $properties = $schema['properties'] ?? [];
        $additional = $schema['additionalProperties'] ?? true;
        foreach ($members as $name => $member) {
            $memberPath = $path . '.' . $name;
            if (isset($properties[$name])) {
                array_push($errors, ...$this->validate($member, $properties[$name], $memberPath));
            } elseif ($additional === false) {
                $errors[] = sprintf('%s: property not allowed (additionalProperties: false)', $memberPath);
            } elseif (is_array($additional)) {
                array_push($errors, ...$this->validate($member, $additional, $memberPath));
            }
        }

        return $errors;
    }

    /**
     * @param array<string, mixed> $schema
     *
     * @return list<string>
     */
    private function validateString(string $value, array $schema, string $path): array
    {
        $errors = [];
        $length = mb_strlen($value, 'UTF-8');
        if (isset($schema['minLength']) && $length < $schema['minLength']) {
            $errors[] = sprintf('%s: shorter than %d characters', $path, $schema['minLength']);
        }
        if (isset($schema['maxLength']) && $length > $schema['maxLength']) {
            $errors[] = sprintf('%s: longer than %d characters', $path, $schema['maxLength']);
        }
        if (isset($schema['pattern'])) {
            $regex = '/' . str_replace('/', '\/', (string) $schema['pattern']) . '/u';
            if (@preg_match($regex, $value) !== 1) {
                $errors[] = sprintf('%s: %s does not match the pattern %s', $path, json_encode($value), $schema['pattern']);
            }
        }

        return $errors;
    }

    private static function isChecked(string $keyword): bool
    {
        return in_array($keyword, [
            'type', 'nullable', 'required', 'properties', 'additionalProperties', 'items', 'enum', 'minLength',
            'maxLength', 'pattern', 'minimum', 'maximum', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'allOf', 'anyOf', 'oneOf',
        ], true);
    }

    private static function hasType(mixed $value, string $type): bool
    {
        return match ($type) {
            'object' => $value instanceof \stdClass,
            'array' => is_array($value) && array_is_list($value),
            'string' => is_string($value),
            'integer' => is_int($value),
            'number' => is_int($value) || is_float($value),
            'boolean' => is_bool($value),
            default => throw new \InvalidArgumentException('Unknown schema type: ' . $type),
        };
    }

    private static function typeOf(mixed $value): string
    {
        return match (true) {
            $value instanceof \stdClass => 'object',
            is_array($value) => 'array',
            is_string($value) => 'string',
            is_int($value) => 'integer',
            is_float($value) => 'number',
            is_bool($value) => 'boolean',
            default => get_debug_type($value),
        };
    }
}
