<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Tests\Support\JsonSchemaValidator;
use PHPUnit\Framework\TestCase;

/**
 * The test-support validator that checks the module's payloads against the hub's OpenAPI schema: it
 * must accept a right payload and reject wrong ones, or the schema test would prove nothing.
 */
final class JsonSchemaValidatorTest extends TestCase
{
    private const DOCUMENT = [
        'components' => [
            'schemas' => [
                'Body' => [
                    'type' => 'object',
                    'description' => 'An event.',
                    'properties' => [
                        'event_id' => ['type' => 'string'],
                        'sequence' => ['type' => 'integer', 'format' => 'int64'],
                        'note' => ['type' => 'string', 'nullable' => true],
                        'item' => ['$ref' => '#/components/schemas/Item'],
                    ],
                    'required' => ['event_id', 'item'],
                ],
                'Item' => [
                    'type' => 'object',
                    'properties' => [
                        'price' => ['type' => 'string'],
                        'active' => ['type' => 'boolean'],
                        'weight' => ['type' => 'number'],
                        'attributes' => ['type' => 'object', 'additionalProperties' => ['type' => 'string']],
                        'lines' => ['type' => 'array', 'items' => ['$ref' => '#/components/schemas/Line']],
                    ],
                    'required' => ['price', 'lines'],
                ],
                'Line' => [
                    'type' => 'object',
                    'properties' => ['quantity' => ['type' => 'integer']],
                    'required' => ['quantity'],
                    'additionalProperties' => false,
                ],
            ],
        ],
    ];

    private const VALID = '{"event_id":"e-1","sequence":3,"note":null,"item":{"price":"1.50","active":true,"weight":1.5,'
        . '"attributes":{"Size":"S"},"lines":[{"quantity":1},{"quantity":2}]}}';

    public function testAValidPayloadHasNoError(): void
    {
        self::assertSame([], $this->errors(self::VALID));
        self::assertSame([], $this->errors('{"event_id":"e","item":{"price":"1","attributes":{},"lines":[]}}'));
    }

    /**
     * @return array<string, array{0: string, 1: string, 2: string}>
     */
    public static function wrongPayloads(): array
    {
        return [
            'missing top-level field' => ['"event_id":"e-1",', '', '$: missing required property "event_id"'],
            'missing field behind a $ref' => ['"price":"1.50",', '', '$.item: missing required property "price"'],
            'missing field in an array item' => ['{"quantity":2}', '{}', '$.item.lines[1]: missing required property "quantity"'],
            'integer expected, string given' => ['"sequence":3', '"sequence":"3"', '$.sequence: expected integer, got string'],
            'string expected, number given' => ['"price":"1.50"', '"price":1.5', '$.item.price: expected string, got number'],
            'integer expected, float given' => ['{"quantity":1}', '{"quantity":1.0}', '$.item.lines[0].quantity: expected integer, got number'],
            'boolean expected, integer given' => ['"active":true', '"active":1', '$.item.active: expected boolean, got integer'],
            'object expected, list given' => ['"attributes":{"Size":"S"}', '"attributes":[]', '$.item.attributes: expected object, got array'],
            'array expected, object given' => ['"lines":[{"quantity":1},{"quantity":2}]', '"lines":{"0":{"quantity":1}}', '$.item.lines: expected array, got object'],
            'null where not nullable' => ['"price":"1.50"', '"price":null', '$.item.price: null is not allowed (type string, not nullable)'],
            'additionalProperties schema' => ['"attributes":{"Size":"S"}', '"attributes":{"Size":1}', '$.item.attributes.Size: expected string, got integer'],
            'additionalProperties false' => ['{"quantity":1}', '{"quantity":1,"extra":true}', '$.item.lines[0].extra: property not allowed (additionalProperties: false)'],
        ];
    }

    /**
     * @dataProvider wrongPayloads
     */
    public function testAWrongPayloadIsReportedWithItsPath(string $search, string $replace, string $expected): void
    {
        $json = str_replace($search, $replace, self::VALID);
        self::assertNotSame(self::VALID, $json, 'the mutation applies');

        self::assertContains($expected, $this->errors($json));
    }

    public function testNullableAndUnknownPropertiesAreAllowedByDefault(): void
    {
        self::assertSame([], $this->errors(str_replace('"event_id":"e-1"', '"event_id":"e-1","unknown":[1]', self::VALID)));
    }

    public function testAKeywordTheValidatorDoesNotCheckIsReportedRatherThanIgnored(): void
    {
        $validator = new JsonSchemaValidator([]);

        self::assertSame(
            ['$: unsupported schema keyword "not" (extend the validator)'],
            $validator->validate('x', ['type' => 'string', 'not' => ['type' => 'integer']])
        );
    }

    public function testConstraintKeywordsAreChecked(): void
    {
        $validator = new JsonSchemaValidator([]);

        self::assertSame([], $validator->validate('ES', ['type' => 'string', 'minLength' => 2, 'maxLength' => 2, 'pattern' => '^[A-Z]{2}$']));
        self::assertCount(2, $validator->validate('', ['type' => 'string', 'minLength' => 1, 'pattern' => '^[A-Z]{2}$']));
        self::assertCount(1, $validator->validate(0, ['type' => 'integer', 'minimum' => 1]));
        self::assertCount(1, $validator->validate([], ['type' => 'array', 'minItems' => 1]));
        self::assertCount(1, $validator->validate('c', ['type' => 'string', 'enum' => ['a', 'b']]));
        $two = (object) ['Size' => 'M', 'Color' => 'Black'];
        self::assertSame([], $validator->validate($two, ['type' => 'object', 'minProperties' => 1, 'maxProperties' => 2]));
        self::assertSame(['$: more than 1 properties'], $validator->validate($two, ['type' => 'object', 'maxProperties' => 1]));
        self::assertSame(['$: fewer than 3 properties'], $validator->validate($two, ['type' => 'object', 'minProperties' => 3]));
    }

    public function testAnUnresolvableRefFailsLoudly(): void
    {
        $this->expectException(\InvalidArgumentException::class);

        (new JsonSchemaValidator(self::DOCUMENT))->validate(new \stdClass(), ['$ref' => '#/components/schemas/Missing']);
    }

    /**
     * @return list<string>
     */
    private function errors(string $json): array
    {
        return (new JsonSchemaValidator(self::DOCUMENT))->validate(
            json_decode($json, false, 512, JSON_THROW_ON_ERROR),
            ['$ref' => '#/components/schemas/Body']
        );
    }
}
