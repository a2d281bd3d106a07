<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * SOURCE hooks: whatever fires during one request, each product gives one event, built from its state
 * at the end of the request.
 */
final class ProductHooksTest extends ConnectorTestCase
{
    public function testAllHooksOfOneRequestCollapseIntoOneEventPerProductWithTheFinalState(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        \Product::$rows[7] = ['reference' => 'WHS-0002', 'name' => [1 => 'Plate'], 'price' => '4.000000', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        \StockAvailable::$quantities['7-0'] = 5;
        $this->canFinishResponse = true;
        $this->http->push($this->http::accepted(), $this->http::accepted());
        $module = $this->module();
        $mug = new \Product(6);
        $stock = new \StockAvailable();
        $stock->id_product = '6';
        $stock->id_product_attribute = 13;
        $combination = new \Combination();
        $combination->id = 13;
        $combination->id_product = 6;

        // What one back-office save of the mug fires (v2 product page, price + stock), in that order.
        $module->hookActionObjectProductUpdateAfter(['object' => $mug]);
        $module->hookActionProductSave(['id_product' => 6, 'product' => $mug]);
        \StockAvailable::$quantities['6-13'] = 15;
        \StockAvailable::$quantities['6-0'] = 305;
        $module->hookActionObjectStockAvailableUpdateAfter(['object' => $stock]);
        $module->hookActionUpdateQuantity(['id_product' => '6', 'id_product_attribute' => '13', 'quantity' => 15, 'delta_quantity' => 5]);
        $module->hookActionUpdateQuantity(['id_product' => 6, 'id_product_attribute' => 0, 'quantity' => 305, 'delta_quantity' => null]);
        $module->hookActionObjectCombinationUpdateAfter(['object' => $combination]);
        // And another product touched in the same request.
        $module->hookActionObjectProductAddAfter(['object' => (object) ['id' => 7]]);
        // Stock moves once more before the request ends.
        \StockAvailable::$quantities['6-0'] = 301;

        self::assertCount(1, $this->shutdownCallbacks, 'one end-of-request run, whatever the number of hooks');
        self::assertSame([], $this->outboxRows(), 'nothing is written before the end of the request');
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertSame(['6', '7'], array_column($rows, 'aggregate_id'));
        self::assertCount(2, $this->http->requests);
        $mugEvent = json_decode((string) $this->http->requests[0]['body'], true);
        self::assertSame(301, $mugEvent['product']['quantity']);
        self::assertSame(15, $mugEvent['product']['combinations'][0]['quantity']);
        self::assertSame('WHS-0002', json_decode((string) $this->http->requests[1]['body'], true)['product']['reference']);
    }

    public function testTheNextRequestStartsWithAnEmptyBuffer(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $this->http->push($this->http::accepted(), $this->http::accepted());
        $module = $this->module();

        $module->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();
        $module->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        self::assertCount(2, $this->outboxRows(), 'one event per request');
        self::assertNotSame($this->outboxRows()[0]['event_id'], $this->outboxRows()[1]['event_id']);
    }

    public function testProductHooksProduceNothingOnAClientStoreOrWhenNotConfigured(): void
    {
        $this->givenMugInCatalog();
        $module = $this->module();

        $module->hookActionProductSave(['id_product' => 6]);
        $this->endRequest();
        $this->configure('CLIENT');
        $module = $this->module();
        $module->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertSame([], $this->http->requests);
    }

    public function testADeletedProductIsReportedInactiveWithoutStock(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $this->http->push($this->http::accepted());
        $module = $this->module();
        $mug = new \Product(6);
        unset(\Product::$rows[6]);
        \Cache::resetStandIn();

        $module->hookActionObjectProductDeleteAfter(['object' => $mug]);
        $this->endRequest();

        $sent = json_decode((string) $this->http->requests[0]['body'], true)['product'];
        self::assertSame(['WHS-0001', false, 0, []], [$sent['reference'], $sent['active'], $sent['quantity'], $sent['combinations']]);
        self::assertSame('2026-11-27T10:00:00Z', $sent['updated_at']);
        // The mug was in categories 2, 3 and 4; its category_product rows are gone with it.
        self::assertSame([], $sent['categories']);
        self::assertStringEndsWith('"combinations":[],"categories":[]}}', (string) $this->http->requests[0]['body']);
    }

    public function testAProductWithoutReferenceIsLoggedAndDoesNotBlockTheOthers(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        \Product::$rows[8] = ['reference' => '', 'name' => [1 => 'Loose item'], 'price' => '1', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        $this->http->push($this->http::accepted());
        $module = $this->module();

        $module->hookActionProductSave(['id_product' => 8]);
        $module->hookActionProductSave(['id_product' => 6]);
        $this->endRequest();

        self::assertSame(['6'], array_column($this->outboxRows(), 'aggregate_id'));
        self::assertStringContainsString('Product #8 has no reference', $this->logger->text());
    }

    public function testAHookThatFailsNeverBreaksTheShop(): void
    {
        $this->configure('SOURCE');
        $module = $this->module();

        // A malformed parameter set: no exception may reach PrestaShop.
        $module->hookActionObjectStockAvailableUpdateAfter(['object' => 'not an object']);
        $module->hookActionProductSave([]);
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
    }
}
