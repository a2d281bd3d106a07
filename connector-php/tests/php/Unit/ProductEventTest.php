<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Exception\EntityNotFoundException;
use FulfillmentConnector\Exception\UnsyncableEntityException;
use FulfillmentConnector\Model\CombinationSnapshot;
use FulfillmentConnector\Model\ProductSnapshot;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\ProductRepository;
use FulfillmentConnector\Service\EventEnvelope;
use FulfillmentConnector\Service\Format;
use FulfillmentConnector\Service\ProductPayloadBuilder;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The product event, from the shop's data to the exact bytes of the wire contract.
 */
final class ProductEventTest extends ConnectorTestCase
{
    public function testProductSaveSendsExactlyTheContractBodyToTheProductEndpoint(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        // The contract example has a single combination.
        \Product::$combinationRows[6] = [\Product::$combinationRows[6][0]];
        $this->http->push($this->http::accepted());
        $module = $this->module();

        $module->hookActionProductSave(['id_product' => 6, 'product' => new \Product(6)]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(1, $rows);
        $eventId = (string) $rows[0]['event_id'];
        self::assertMatchesRegularExpression('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $eventId);
        $expected = '{"event_id":"' . $eventId . '","occurred_at":"2026-11-27T10:00:00.123456Z","sequence":' . $rows[0]['id_outbox'] . ','
            . '"product":{"id":6,"reference":"WHS-0001","name":"Mug","price":"11.90","quantity":300,"active":true,'
            . '"updated_at":"2026-11-27T09:59:58Z",'
            . '"combinations":[{"id":13,"reference":"WHS-0001-S","ean13":"","attributes":{"Size":"S"},"quantity":10}],'
            . '"categories":[4,2,3]}}';

        self::assertCount(1, $this->http->requests);
        self::assertSame('POST', $this->http->requests[0]['method']);
        self::assertSame('http://hub:8080/api/sync/product', $this->http->requests[0]['url']);
        self::assertSame($expected, $this->http->requests[0]['body']);
        $event = (new DbOutboxRepository(\Db::getInstance()))->find((int) $rows[0]['id_outbox']);
        self::assertNotNull($event);
        self::assertSame($expected, EventEnvelope::encode($event));
        self::assertSame('sent', $event->status);
    }

    public function testCombinationsCarryAllTheirAttributesAndTheirOwnStock(): void
    {
        $this->givenMugInCatalog();

        $payload = (new ProductPayloadBuilder())->build((new ProductRepository())->snapshot(6, 1, 1));

        self::assertSame(
            '[{"id":13,"reference":"WHS-0001-S","ean13":"","attributes":{"Size":"S"},"quantity":10},'
            . '{"id":14,"reference":"","ean13":"8412345678905","attributes":{"Size":"M","Color":"White"},"quantity":290}]',
            Format::json($payload['combinations'])
        );
    }

    public function testASimpleProductHasAnEmptyCombinationListAndAnEmptyAttributeMapStaysAnObject(): void
    {
        $builder = new ProductPayloadBuilder();
        $simple = new ProductSnapshot(7, 'WHS-0002', 'Plate', '4', 12, false, '2026-01-01 00:00:00', [], []);
        $noAttributes = new ProductSnapshot(8, 'WHS-0003', 'Bowl', '4', 12, true, '2026-01-01 00:00:00', [
            new CombinationSnapshot(20, 'WHS-0003-A', '', [], 3),
        ], []);

        self::assertSame(
            '{"id":7,"reference":"WHS-0002","name":"Plate","price":"4.00","quantity":12,"active":false,'
            . '"updated_at":"2025-12-31T23:00:00Z","combinations":[],"categories":[]}',
            Format::json($builder->build($simple))
        );
        self::assertStringContainsString('"attributes":{}', Format::json($builder->build($noAttributes)));
    }

    public function testStockIsReadAgainAtTheEndOfTheRequestEvenWhenPrestaShopCachedAnOlderValue(): void
    {
        $this->givenMugInCatalog();
        // Something earlier in the request read the stock and the product: PrestaShop cached them.
        \StockAvailable::getQuantityAvailableByProduct(6, 0, 1);
        \StockAvailable::getQuantityAvailableByProduct(6, 13, 1);
        new \Product(6, false, 1, 1);
        \Product::getProductCategories(6);
        // Then the stock, the price and the categories changed.
        \StockAvailable::$quantities['6-0'] = 280;
        \StockAvailable::$quantities['6-13'] = 0;
        \Product::$rows[6]['price'] = '12.500000';
        \Product::$rows[6]['id_category_default'] = '3';
        \Product::$categoryRows[6] = [3, 5];

        $payload = (new ProductPayloadBuilder())->build((new ProductRepository())->snapshot(6, 1, 1));

        self::assertSame(280, $payload['quantity']);
        self::assertSame(0, $payload['combinations'][0]['quantity']);
        self::assertSame('12.50', $payload['price']);
        self::assertSame([3, 5], $payload['categories']);
    }

    /**
     * @return array<string, array{0: ?string, 1: list<int>, 2: string}> id_category_default, category_product rows, categories sent
     */
    public static function categoryVariants(): array
    {
        return [
            'the default first, the others ascending' => ['4', [3, 4, 2], '[4,2,3]'],
            'the default already the lowest' => ['2', [9, 2, 10], '[2,9,10]'],
            'the default not among the rows is still first' => ['7', [5, 3], '[7,3,5]'],
            'one category' => ['2', [2], '[2]'],
            'no default: ascending' => [null, [12, 11], '[11,12]'],
            'duplicate rows are sent once' => ['4', [4, 3, 3, 4], '[4,3]'],
            'in no category' => [null, [], '[]'],
            'in no category, default 0' => ['0', [], '[]'],
        ];
    }

    /**
     * @dataProvider categoryVariants
     *
     * @param list<int> $rows
     */
    public function testCategoriesAreIntegersWithTheDefaultFirstThenTheOthersAscending(?string $default, array $rows, string $expected): void
    {
        $this->givenMugInCatalog();
        \Product::$rows[6]['id_category_default'] = $default;
        \Product::$categoryRows[6] = $rows;

        $payload = (new ProductPayloadBuilder())->build((new ProductRepository())->snapshot(6, 1, 1));

        self::assertSame($expected, Format::json($payload['categories']));
    }

    public function testNameIsTheShopDefaultLanguageAndIsCutTo255Characters(): void
    {
        $this->givenMugInCatalog();
        \Product::$rows[6]['name'] = [1 => str_repeat('é', 300), 2 => 'Taza'];

        $payload = (new ProductPayloadBuilder())->build((new ProductRepository())->snapshot(6, 1, 1));

        self::assertSame(str_repeat('é', 255), $payload['name']);
    }

    public function testAProductWithoutReferenceCannotBeSynchronised(): void
    {
        $this->expectException(UnsyncableEntityException::class);
        (new ProductPayloadBuilder())->build(new ProductSnapshot(9, '', 'No ref', '1', 1, true, '2026-01-01 00:00:00', [], []));
    }

    public function testAProductWithoutUpdateDateIsSentWithTheTimeOfTheChange(): void
    {
        // The hub requires updated_at: a zero date_upd (rows imported straight into the database)
        // falls back to when the hook saw the change, never to null.
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        \Product::$rows[6]['date_upd'] = '0000-00-00 00:00:00';
        $this->http->push($this->http::accepted());

        $this->module()->hookActionProductSave(['id_product' => 6]);
        $this->endRequest();

        $sent = json_decode((string) $this->http->requests[0]['body'], true);
        self::assertSame('2026-11-27T10:00:00Z', $sent['product']['updated_at']);
        self::assertSame('2026-11-27T10:00:00.123456Z', $sent['occurred_at']);
    }

    public function testWithoutAnyDateTheBuilderRefusesRatherThanSendingNull(): void
    {
        $this->expectException(UnsyncableEntityException::class);
        (new ProductPayloadBuilder())->build(new ProductSnapshot(9, 'REF', 'No date', '1', 1, true, '', [], []));
    }

    public function testAMissingProductIsReportedAsNotFound(): void
    {
        $this->expectException(EntityNotFoundException::class);
        (new ProductRepository())->snapshot(404, 1, 1);
    }

    public function testTheUpgradeTo140ChangesNoHookAndIsTheModulesVersion(): void
    {
        \Db::getInstance()->execute('DROP TABLE ps_fulfillment_outbox');
        self::assertTrue($this->module()->install());
        \Module::$registeredHooks = [];

        self::assertTrue(upgrade_module_1_4_0($this->module()));

        self::assertSame([], \Module::$registeredHooks, 'categories come through the product hooks already registered');
        self::assertSame('1.4.0', $this->module()->version);
        $upgrades = array_map(
            static fn (string $file): string => substr(basename($file, '.php'), strlen('upgrade-')),
            glob(FULFILLMENT_TESTS_MODULE_DIR . '/upgrade/upgrade-*.php') ?: []
        );
        usort($upgrades, 'version_compare');
        self::assertSame('1.4.0', end($upgrades), 'the newest upgrade script is the module version');
    }

    public function testPricesAreLosslessDecimalStringsWithAtLeastTwoDecimals(): void
    {
        self::assertSame('11.90', Format::price('11.900000'));
        self::assertSame('10.00', Format::price('10'));
        self::assertSame('0.123456', Format::price('0.123456'));
        self::assertSame('7.50', Format::price(7.5));
        self::assertSame('0.00', Format::price(null));
    }
}
