<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Integration;

use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\EventEnvelope;
use FulfillmentConnector\Service\HubSignature;
use FulfillmentConnector\Tests\Support\JsonSchemaValidator;
use FulfillmentConnector\Tests\Support\LocalHubServer;
use FulfillmentConnector\Tests\Support\RealHub;
use FulfillmentConnector\Tests\Support\RealHubTestCase;

/**
 * Every body the module builds validates against the schema the REAL hub publishes at
 * GET /api/openapi.json (the request body of the path the module posts to, i.e.
 * components.schemas.ProductEventBody / OrderEventBody), and the hub accepts it (202).
 *
 * One hub serves the whole class; it is stopped in tearDownAfterClass (and at exit, should PHPUnit
 * die first).
 */
final class PayloadsMatchHubSchemaTest extends RealHubTestCase
{
    private static ?RealHub $sharedHub = null;

    /** @var array<string, mixed>|null */
    private static ?array $document = null;

    public static function tearDownAfterClass(): void
    {
        self::$sharedHub?->destroy();
        self::$sharedHub = null;
        self::$document = null;
        parent::tearDownAfterClass();
    }

    protected function onNotSuccessfulTest(\Throwable $t): void
    {
        if (self::$sharedHub !== null) {
            fwrite(STDERR, sprintf("\n--- hub log (%s) ---\n%s\n", self::$sharedHub->dir, self::$sharedHub->logTail()));
        }
        parent::onNotSuccessfulTest($t);
    }

    public function testTheHubPublishesTheBodiesOfBothEndpointsTheModulePostsTo(): void
    {
        $document = self::document();

        self::assertStringStartsWith('3.', (string) ($document['openapi'] ?? ''));
        self::assertSame('#/components/schemas/ProductEventBody', $this->requestSchemaRef('/api/sync/product'));
        self::assertSame('#/components/schemas/OrderEventBody', $this->requestSchemaRef('/api/sync/order'));
        self::assertSame('#/components/schemas/OrderStatusEventBody', $this->requestSchemaRef('/api/sync/order-status'));
        self::assertSame(['event_id', 'occurred_at', 'order', 'sequence'], self::sorted($document['components']['schemas']['OrderStatusEventBody']['required']));
        self::assertSame(['event_id', 'occurred_at', 'product'], self::sorted($document['components']['schemas']['ProductEventBody']['required']));
        self::assertSame(['event_id', 'occurred_at', 'order'], self::sorted($document['components']['schemas']['OrderEventBody']['required']));
    }

    /**
     * @return array<string, array{0: string, 1: string, 2: int}> role, method that makes the events, how many
     */
    public static function payloadVariants(): array
    {
        return [
            'simple product' => ['SOURCE', 'givenSimpleProduct', 1],
            'product with combinations, EAN and attributes' => ['SOURCE', 'givenProductWithCombinations', 1],
            'combinations without EAN, reference or attributes' => ['SOURCE', 'givenCombinationsWithoutEanOrAttributes', 1],
            'negative stock' => ['SOURCE', 'givenNegativeStock', 1],
            'inactive, free, long unicode name' => ['SOURCE', 'givenInactiveFreeProductWithLongName', 1],
            'six-decimal price' => ['SOURCE', 'givenSixDecimalPrice', 1],
            'deleted product' => ['SOURCE', 'givenDeletedProduct', 1],
            'product without date_upd' => ['SOURCE', 'givenProductWithoutUpdateDate', 1],
            'several products in one request' => ['SOURCE', 'givenSeveralProductsInOneRequest', 3],
            '60 combinations (a body of several KiB)' => ['SOURCE', 'givenProductWithManyCombinations', 1],
            'new order with several lines' => ['CLIENT', 'givenNewOrderWithSeveralLines', 1],
            'order without phone, company or second line' => ['CLIENT', 'givenOrderWithoutOptionalAddressFields', 1],
            'state change of an unpaid order' => ['CLIENT', 'givenStateChangeOfUnpaidOrder', 1],
            'unicode names, lowercase codes' => ['CLIENT', 'givenOrderWithUnicodeAndLowercaseCodes', 1],
            'free order' => ['CLIENT', 'givenFreeOrder', 1],
            'order without date_add' => ['CLIENT', 'givenOrderWithoutDateAdd', 1],
            'combination lines, with and without reference, EAN or attributes' => ['CLIENT', 'givenOrderWithCombinationLines', 1],
            'hub order shipped with a tracking number' => ['SOURCE', 'givenShippedHubOrder', 1],
            'hub order cancelled, no tracking number, no carrier' => ['SOURCE', 'givenCancelledHubOrderWithoutCarrier', 1],
        ];
    }

    /**
     * @dataProvider payloadVariants
     */
    public function testThePayloadValidatesAgainstThePublishedSchemaAndTheHubAcceptsIt(string $role, string $given, int $events): void
    {
        $hub = self::hub();
        $this->configureStore($role, $hub, $role === 'SOURCE' ? RealHub::SOURCE_SECRET : '');
        $module = $this->requestModule();
        $this->{$given}($module);
        // The real end of request: the events are written, then posted to the hub by the module.
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount($events, $rows, json_encode(\PrestaShopLogger::$logs));
        $settings = $module->connector()->settings()->load();
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $inbox = array_column($hub->inbox(), null, 'event_id');
        foreach ($rows as $row) {
            $event = $outbox->find((int) $row['id_outbox']);
            $body = EventEnvelope::encode($event);
            $path = (string) parse_url($settings->endpoint($event->type), PHP_URL_PATH);

            $errors = self::validator()->validate(self::decode($body), ['$ref' => $this->requestSchemaRef($path)]);

            self::assertSame([], $errors, 'schema violations of ' . $body);
            self::assertSame(['sent', '202', 'queued'], [$row['status'], $row['last_http_status'], $row['delivery_status']], $row['last_error'] . "\n" . $body);
            self::assertArrayHasKey($row['event_id'], $inbox);
        }
    }

    /**
     * The validator is strict where the hub is: each wrong body has schema errors, and the hub refuses
     * it with 422 too.
     *
     * @return array<string, array{0: string, 1: callable(array<string, mixed>): array<string, mixed>, 2: string}>
     */
    public static function wrongBodies(): array
    {
        return [
            'product without price' => ['product', static function (array $b): array {
                unset($b['product']['price']);

                return $b;
            }, '$.product: missing required property "price"'],
            'product without event_id' => ['product', static function (array $b): array {
                unset($b['event_id']);

                return $b;
            }, '$: missing required property "event_id"'],
            'quantity as a string' => ['product', static function (array $b): array {
                $b['product']['quantity'] = '300';

                return $b;
            }, '$.product.quantity: expected integer, got string'],
            'price as a number' => ['product', static function (array $b): array {
                $b['product']['price'] = 11.9;

                return $b;
            }, '$.product.price: expected string, got number'],
            'attributes as a list' => ['product', static function (array $b): array {
                $b['product']['combinations'][0]['attributes'] = [];

                return $b;
            }, '$.product.combinations[0].attributes: expected object, got array'],
            'active as an integer' => ['product', static function (array $b): array {
                $b['product']['active'] = 1;

                return $b;
            }, '$.product.active: expected boolean, got integer'],
            'order line without reference' => ['order', static function (array $b): array {
                unset($b['order']['lines'][0]['reference']);

                return $b;
            }, '$.order.lines[0]: missing required property "reference"'],
            'order id as a string' => ['order', static function (array $b): array {
                $b['order']['id'] = '42';

                return $b;
            }, '$.order.id: expected integer, got string'],
            'order without customer' => ['order', static function (array $b): array {
                unset($b['order']['customer']);

                return $b;
            }, '$.order: missing required property "customer"'],
        ];
    }

    /**
     * @dataProvider wrongBodies
     *
     * @param callable(array<string, mixed>): array<string, mixed> $break
     */
    public function testTheValidatorRejectsAWrongBodyAndSoDoesTheHub(string $type, callable $break, string $expectedError): void
    {
        $hub = self::hub();
        $valid = $type === 'product' ? $this->mugBody() : $this->orderBody();
        $schema = ['$ref' => $this->requestSchemaRef('/api/sync/' . $type)];
        self::assertSame([], self::validator()->validate(self::decode($valid), $schema), 'the body before the change is valid');

        $wrong = self::encode($break(json_decode($valid, true)));

        self::assertContains($expectedError, self::validator()->validate(self::decode($wrong), $schema));
        $response = $this->post($hub, $type, $wrong);
        self::assertSame(422, $response['status'], $response['body']);
        self::assertSame('invalid_payload', json_decode($response['body'], true)['error']['code'] ?? null, $response['body']);
    }

    protected function givenSimpleProduct(\Fulfillment_connector $module): void
    {
        \Product::$rows[7] = ['reference' => 'WHS-0007', 'name' => [1 => 'Plate'], 'price' => '4.500000', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        \StockAvailable::$quantities['7-0'] = 12;
        $module->hookActionProductSave(['id_product' => 7]);
    }

    protected function givenProductWithCombinations(\Fulfillment_connector $module): void
    {
        $this->givenMugInCatalog();
        $module->hookActionObjectCombinationUpdateAfter(['object' => $this->combination(6, 14)]);
    }

    protected function givenCombinationsWithoutEanOrAttributes(\Fulfillment_connector $module): void
    {
        \Product::$rows[8] = ['reference' => 'WHS-0008', 'name' => [1 => 'Bowl'], 'price' => '3', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        \Product::$combinationRows[8] = [
            ['id_product' => 8, 'id_product_attribute' => 21, 'reference' => '', 'ean13' => '', 'group_name' => '', 'attribute_name' => ''],
            ['id_product' => 8, 'id_product_attribute' => 22, 'reference' => 'WHS-0008-B', 'ean13' => '', 'group_name' => '', 'attribute_name' => ''],
        ];
        \StockAvailable::$quantities += ['8-0' => 7, '8-21' => 3, '8-22' => 4];
        $module->hookActionUpdateQuantity(['id_product' => 8, 'id_product_attribute' => 21, 'quantity' => 3]);
    }

    protected function givenNegativeStock(\Fulfillment_connector $module): void
    {
        $this->givenMugInCatalog();
        \StockAvailable::$quantities = ['6-0' => -4, '6-13' => -5, '6-14' => 1];
        $module->hookActionUpdateQuantity(['id_product' => 6, 'id_product_attribute' => 13, 'quantity' => -5]);
    }

    protected function givenInactiveFreeProductWithLongName(\Fulfillment_connector $module): void
    {
        \Product::$rows[10] = [
            'reference' => 'WHS-ÑANDÚ-10',
            'name' => [1 => str_repeat('Ñandú «azul» 🐦 & <b>', 20)],
            'price' => '0.000000',
            'active' => '0',
            'date_upd' => '2026-07-01 00:30:00',
        ];
        $module->hookActionObjectProductUpdateAfter(['object' => new \Product(10)]);
    }

    protected function givenSixDecimalPrice(\Fulfillment_connector $module): void
    {
        \Product::$rows[11] = ['reference' => 'WHS-0011', 'name' => [1 => 'Screw'], 'price' => '0.123456', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        \StockAvailable::$quantities['11-0'] = 100000;
        $module->hookActionProductSave(['id_product' => 11]);
    }

    protected function givenDeletedProduct(\Fulfillment_connector $module): void
    {
        $this->givenMugInCatalog();
        $mug = new \Product(6);
        unset(\Product::$rows[6]);
        \Cache::resetStandIn();
        $module->hookActionObjectProductDeleteAfter(['object' => $mug]);
    }

    protected function givenProductWithoutUpdateDate(\Fulfillment_connector $module): void
    {
        \Product::$rows[12] = ['reference' => 'WHS-0012', 'name' => [1 => 'Imported'], 'price' => '1.00', 'active' => '1', 'date_upd' => '0000-00-00 00:00:00'];
        $module->hookActionProductSave(['id_product' => 12]);
    }

    protected function givenSeveralProductsInOneRequest(\Fulfillment_connector $module): void
    {
        $this->givenMugInCatalog();
        $this->givenSimpleProduct($module);
        $this->givenSixDecimalPrice($module);
        $module->hookActionUpdateQuantity(['id_product' => 6, 'id_product_attribute' => 0, 'quantity' => 300]);
    }

    protected function givenProductWithManyCombinations(\Fulfillment_connector $module): void
    {
        \Product::$rows[13] = ['reference' => 'WHS-0013', 'name' => [1 => 'T-shirt'], 'price' => '9.99', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        \Product::$combinationRows[13] = [];
        foreach (['XS', 'S', 'M', 'L', 'XL', 'XXL'] as $i => $size) {
            foreach (['Red', 'Green', 'Blue', 'Black', 'White', 'Grey', 'Navy', 'Pink', 'Yellow', 'Orange'] as $j => $colour) {
                $id = 100 + $i * 10 + $j;
                $row = ['id_product' => 13, 'id_product_attribute' => $id, 'reference' => 'WHS-0013-' . $size . '-' . $colour, 'ean13' => '84123456' . $id . '00'];
                \Product::$combinationRows[13][] = $row + ['group_name' => 'Size', 'attribute_name' => $size];
                \Product::$combinationRows[13][] = $row + ['group_name' => 'Colour', 'attribute_name' => $colour];
                \StockAvailable::$quantities['13-' . $id] = $i * $j;
            }
        }
        $module->hookActionProductSave(['id_product' => 13]);
    }

    protected function givenNewOrderWithSeveralLines(\Fulfillment_connector $module): void
    {
        $this->givenOrder42(0, false);
        $this->givenMugInCatalog();
        \Order::$details[42] = [
            ['product_id' => '6', 'product_reference' => 'WHS-0001', 'product_quantity' => '2', 'unit_price_tax_incl' => '15.730000', 'product_attribute_id' => '0'],
            ['product_id' => '6', 'product_reference' => 'WHS-0001-S', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.734999', 'product_attribute_id' => '13'],
            ['product_id' => '7', 'product_reference' => 'WHS-0007', 'product_quantity' => '0', 'unit_price_tax_incl' => '5.850000', 'product_attribute_id' => '0'],
            ['product_id' => '11', 'product_reference' => 'WHS-0011', 'product_quantity' => '250', 'unit_price_tax_incl' => '0.149382', 'product_attribute_id' => '0'],
        ];
        $order = new \Order(42);
        // The hook order of PrestaShop 8.2.1's validateOrder.
        $module->hookActionValidateOrder(['order' => $order, 'orderStatus' => (object) ['id' => 11]]);
        \ObjectModel::$rows[\Order::class][42]['current_state'] = '2';
        \ObjectModel::$rows[\Order::class][42]['valid'] = '1';
        $module->hookActionOrderStatusPostUpdate(['id_order' => '42', 'newOrderStatus' => (object) ['id' => 2]]);
        $module->hookActionValidateOrderAfter(['order' => $order, 'orders' => [$order]]);
    }

    protected function givenOrderWithoutOptionalAddressFields(\Fulfillment_connector $module): void
    {
        $this->givenOrder42();
        \ObjectModel::$rows[\Address::class][7] = array_merge(\ObjectModel::$rows[\Address::class][7], [
            'company' => '', 'address2' => '', 'phone' => '', 'phone_mobile' => '',
        ]);
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
    }

    protected function givenStateChangeOfUnpaidOrder(\Fulfillment_connector $module): void
    {
        $this->givenOrder42(6, false);
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42, 'newOrderStatus' => (object) ['id' => 6]]);
    }

    protected function givenOrderWithUnicodeAndLowercaseCodes(\Fulfillment_connector $module): void
    {
        $this->givenOrder42();
        \ObjectModel::$rows[\Customer::class][3] = ['email' => 'jose.nunez@example.es', 'firstname' => 'José', 'lastname' => 'Núñez Ibáñez'];
        \ObjectModel::$rows[\Address::class][7] = array_merge(\ObjectModel::$rows[\Address::class][7], [
            'firstname' => 'José', 'lastname' => 'Núñez Ibáñez', 'company' => 'Café «La Ñ» S.L.', 'address1' => 'Rúa do Paço 3, 2º',
            'city' => 'A Coruña', 'phone' => '', 'phone_mobile' => '+34 611 11 11 11',
        ]);
        \ObjectModel::$rows[\Currency::class][1] = ['iso_code' => 'eur'];
        \Country::$isoCodes[6] = 'es';
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
    }

    protected function givenFreeOrder(\Fulfillment_connector $module): void
    {
        $this->givenOrder42();
        \ObjectModel::$rows[\Order::class][42]['total_paid_tax_incl'] = '0.000000';
        \Order::$details[42][0]['unit_price_tax_incl'] = '0.000000';
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
    }

    protected function givenOrderWithCombinationLines(\Fulfillment_connector $module): void
    {
        $this->givenOrderWithCombinationLinesInTheShop();
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
    }

    /**
     * A line of a combination carries its parent's reference and the combination (id, own reference
     * and EAN13 or null, attributes); a line of a simple product carries the parent's reference and no
     * combination. The body matches the published schema and the hub accepts it.
     */
    public function testCombinationLinesCarryTheirCombinationAndSimpleLinesDoNot(): void
    {
        $hub = self::hub();
        $this->givenOrderWithCombinationLinesInTheShop();
        $body = $this->bodyOfTheEventOf('CLIENT', function (\Fulfillment_connector $module): void {
            $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        });
        $lines = json_decode($body, true)['order']['lines'];

        self::assertSame(
            ['reference' => 'WHS-0001', 'quantity' => 1, 'unit_price_tax_incl' => '15.73', 'product_reference' => 'WHS-0001',
                'combination' => ['id' => 14, 'reference' => null, 'ean13' => '8412345678905', 'attributes' => ['Size' => 'M', 'Color' => 'White']]],
            $lines[0]
        );
        self::assertSame(
            ['id' => 13, 'reference' => 'WHS-0001-S', 'ean13' => null, 'attributes' => ['Size' => 'S']],
            $lines[1]['combination']
        );
        self::assertSame('WHS-0001', $lines[2]['product_reference']);
        self::assertArrayNotHasKey('combination', $lines[2], 'a simple product has no combination');
        self::assertSame([], self::validator()->validate(self::decode($body), ['$ref' => $this->requestSchemaRef('/api/sync/order')]));
        $line = $this->resolve(self::document()['components']['schemas']['OrderEventBody'], ['order', 'lines', '[]']);
        self::assertNotSame(
            false,
            $line['additionalProperties'] ?? true,
            'the hub refuses fields it does not know in an order line: it must publish product_reference and combination first'
        );
        $response = $this->post($hub, 'order', $body);
        self::assertSame(202, $response['status'], $response['body']);
    }

    /**
     * The product's categories (the default first, then the others ascending) are a list of integers
     * in the schema the hub publishes, and the hub accepts the mug's body with them. A hub that does not
     * publish `categories` ignores them: the hub must know the field before it can select and price
     * products by category.
     */
    public function testProductCategoriesArePublishedAsIntegersAndTheHubAcceptsThem(): void
    {
        $hub = self::hub();
        $body = $this->mugBody();

        self::assertSame([4, 2, 3], json_decode($body, true)['product']['categories']);
        $product = $this->resolve(self::document()['components']['schemas']['ProductEventBody'], ['product']);
        self::assertArrayHasKey('categories', $product['properties'] ?? [], 'the hub does not publish product.categories');
        $categories = $this->resolve(self::document()['components']['schemas']['ProductEventBody'], ['product', 'categories']);
        self::assertSame('array', $categories['type'] ?? null);
        self::assertSame('integer', $this->resolve($categories, ['[]'])['type'] ?? null);
        self::assertSame([], self::validator()->validate(self::decode($body), ['$ref' => $this->requestSchemaRef('/api/sync/product')]));
        $response = $this->post($hub, 'product', $body);
        self::assertSame(202, $response['status'], $response['body']);
    }

    /**
     * An order the hub placed on the SOURCE (module fulfillment_connector), shipped with a tracking number.
     */
    protected function givenShippedHubOrder(\Fulfillment_connector $module): void
    {
        \ObjectModel::$rows[\Order::class][31] = [
            'reference' => 'KXBQWNRTA', 'id_cart' => '77', 'id_customer' => 3, 'id_carrier' => '2', 'current_state' => '4',
            'module' => 'fulfillment_connector', 'date_add' => '2026-11-27 10:59:00', 'date_upd' => '2026-11-27 11:00:05',
        ];
        \ObjectModel::$rows[\OrderCarrier::class][5] = ['id_order' => '31', 'id_carrier' => '2', 'tracking_number' => '1Z999AA10123456784'];
        \ObjectModel::$rows[\OrderState::class][4] = ['name' => [1 => 'Shipped', 2 => 'Expédié']];
        $module->hookActionOrderStatusPostUpdate(['id_order' => 31, 'newOrderStatus' => new \OrderState(4)]);
    }

    /**
     * A cancelled hub order whose state has no name here and which has no order carrier (nulls in the body).
     */
    protected function givenCancelledHubOrderWithoutCarrier(\Fulfillment_connector $module): void
    {
        \ObjectModel::$rows[\Order::class][32] = [
            'reference' => 'PLMQWNRTA', 'id_cart' => '78', 'id_customer' => 3, 'id_carrier' => '0', 'current_state' => '6',
            'module' => 'fulfillment_connector', 'date_add' => '2026-11-27 10:59:00', 'date_upd' => '2026-11-27 11:00:05',
        ];
        $module->hookActionOrderStatusPostUpdate(['id_order' => 32, 'newOrderStatus' => new \OrderState(6)]);
    }

    protected function givenOrderWithoutDateAdd(\Fulfillment_connector $module): void
    {
        $this->givenOrder42();
        \ObjectModel::$rows[\Order::class][42]['date_add'] = '0000-00-00 00:00:00';
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
    }

    private function givenOrderWithCombinationLinesInTheShop(): void
    {
        $this->givenOrder42();
        $this->givenMugInCatalog();
        \Order::$details[42] = [
            ['product_id' => '6', 'product_attribute_id' => '14', 'product_reference' => 'WHS-0001', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
            ['product_id' => '6', 'product_attribute_id' => '13', 'product_reference' => 'WHS-0001-S', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
            ['product_id' => '6', 'product_attribute_id' => '0', 'product_reference' => 'WHS-0001', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
        ];
        \ObjectModel::$rows[\Order::class][42]['total_paid_tax_incl'] = '47.190000';
    }

    /**
     * The schema at `$path` below `$schema` (through `$ref`, `properties` and, for `[]`, `items`).
     *
     * @param array<string, mixed> $schema
     * @param list<string> $path
     *
     * @return array<string, mixed>
     */
    private function resolve(array $schema, array $path): array
    {
        $document = self::document();
        foreach ([...$path, null] as $step) {
            while (isset($schema['$ref'])) {
                $schema = $document['components']['schemas'][substr((string) $schema['$ref'], strlen('#/components/schemas/'))];
            }
            if ($step === null) {
                break;
            }
            $schema = $step === '[]' ? $schema['items'] : $schema['properties'][$step];
        }

        return $schema;
    }

    private static function hub(): RealHub
    {
        return self::$sharedHub ??= RealHub::start(RealHub::SOURCE_SECRET);
    }

    /**
     * @return array<string, mixed>
     */
    private static function document(): array
    {
        return self::$document ??= self::hub()->openApi();
    }

    private static function validator(): JsonSchemaValidator
    {
        return new JsonSchemaValidator(self::document());
    }

    /**
     * The `$ref` of the JSON request body the document declares for POST `$path`.
     */
    private function requestSchemaRef(string $path): string
    {
        $operation = self::document()['paths'][$path]['post'] ?? null;
        self::assertIsArray($operation, 'the hub documents POST ' . $path);
        $ref = $operation['requestBody']['content']['application/json']['schema']['$ref'] ?? null;
        self::assertIsString($ref, 'POST ' . $path . ' has a JSON request body schema');

        return $ref;
    }

    private function combination(int $idProduct, int $id): \Combination
    {
        $combination = new \Combination();
        $combination->id = $id;
        $combination->id_product = $idProduct;

        return $combination;
    }

    /**
     * The mug's body, as the module builds it.
     */
    private function mugBody(): string
    {
        $this->givenMugInCatalog();

        return $this->bodyOfTheEventOf('SOURCE', function (\Fulfillment_connector $module): void {
            $module->hookActionProductSave(['id_product' => 6]);
        });
    }

    private function orderBody(): string
    {
        $this->givenOrder42();

        return $this->bodyOfTheEventOf('CLIENT', function (\Fulfillment_connector $module): void {
            $module->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        });
    }

    /**
     * The body of the one event the hooks produce, kept in the outbox: the module is pointed at a
     * port nobody listens on, so its own delivery attempt fails and changes nothing.
     *
     * @param callable(\Fulfillment_connector): void $hooks
     */
    private function bodyOfTheEventOf(string $role, callable $hooks): string
    {
        $this->configureStore($role, self::hub());
        \Configuration::updateValue(SettingsRepository::API_URL, 'http://127.0.0.1:' . LocalHubServer::freePort() . '/api');
        $hooks($this->requestModule());
        $this->endRequest();
        $rows = $this->outboxRows();
        self::assertCount(1, $rows);
        self::assertSame('pending', $rows[0]['status']);

        return EventEnvelope::encode((new DbOutboxRepository(\Db::getInstance()))->find((int) $rows[0]['id_outbox']));
    }

    /**
     * @return array{status: int, body: string, headers: array<string, string>}
     */
    private function post(RealHub $hub, string $type, string $body): array
    {
        $headers = [
            'Content-Type' => 'application/json',
            'X-API-KEY' => $type === 'product' ? RealHub::SOURCE_KEY : RealHub::CLIENT_KEY,
        ];
        if ($type === 'product') {
            $headers[HubSignature::HEADER] = HubSignature::header(RealHub::SOURCE_SECRET, time(), $body);
        }

        return $hub->request('POST', '/api/sync/' . $type, $headers, $body);
    }

    private static function decode(string $json): mixed
    {
        return json_decode($json, false, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * @param array<string, mixed> $body
     */
    private static function encode(array $body): string
    {
        return json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }

    /**
     * @param list<string> $values
     *
     * @return list<string>
     */
    private static function sorted(array $values): array
    {
        sort($values);

        return $values;
    }
}
