<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Exception\UnsyncableEntityException;
use FulfillmentConnector\Repository\OrderRepository;
use FulfillmentConnector\Service\Format;
use FulfillmentConnector\Service\OrderPayloadBuilder;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The order event of a CLIENT store, from validateOrder's hooks to the exact bytes of the contract.
 */
final class OrderEventTest extends ConnectorTestCase
{
    public function testNewOrderSendsExactlyTheContractBodyWithItsFinalState(): void
    {
        $this->configure('CLIENT');
        // validateOrder saves the order first; its final state is written later in the request.
        $this->givenOrder42(0, false);
        $this->givenMugInCatalog();
        $this->http->push($this->http::accepted());
        $module = $this->module();
        $order = new \Order(42);

        // The hook order observed on PrestaShop 8.2.1 for a new order.
        $module->hookActionValidateOrder(['order' => $order, 'orderStatus' => (object) ['id' => 11]]);
        \ObjectModel::$rows[\Order::class][42]['current_state'] = '2';
        \ObjectModel::$rows[\Order::class][42]['valid'] = '1';
        $module->hookActionOrderStatusPostUpdate(['id_order' => '42', 'newOrderStatus' => (object) ['id' => 2]]);
        $module->hookActionValidateOrderAfter(['order' => $order, 'orders' => [$order]]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(1, $rows, 'several hooks about one order give one event');
        $expected = '{"event_id":"' . $rows[0]['event_id'] . '","occurred_at":"2026-11-27T10:00:00.123456Z","sequence":' . $rows[0]['id_outbox'] . ','
            . '"order":{"id":42,"reference":"XKBKNABJK","currency":"EUR","state":"2","valid":true,'
            . '"customer":{"email":"ana@example.com","firstname":"Ana","lastname":"Garcia"},'
            . '"delivery_address":{"firstname":"Ana","lastname":"Garcia","company":"","address1":"Calle Mayor 1","address2":"",'
            . '"postcode":"28013","city":"Madrid","country":"ES","phone":"+34600000000"},'
            . '"lines":[{"reference":"WHS-0001","quantity":2,"unit_price_tax_incl":"15.73","product_reference":"WHS-0001"}],'
            . '"total_paid_tax_incl":"31.46","placed_at":"2026-11-27T10:00:00Z"}}';
        self::assertCount(1, $this->http->requests);
        self::assertSame('http://hub:8080/api/sync/order', $this->http->requests[0]['url']);
        self::assertSame($expected, $this->http->requests[0]['body']);
    }

    public function testCombinationLinesCarryTheCombinationTheRetailerSold(): void
    {
        $this->configure('CLIENT');
        $this->givenOrder42();
        $this->givenMugInCatalog();
        // order_detail.product_reference falls back to the parent's reference when the combination has none.
        \Order::$details[42] = [
            ['product_id' => '6', 'product_attribute_id' => '14', 'product_reference' => 'WHS-0001', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
            ['product_id' => '6', 'product_attribute_id' => '13', 'product_reference' => 'WHS-0001-S', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
            ['product_id' => '6', 'product_attribute_id' => '0', 'product_reference' => 'WHS-0001', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
        ];
        $this->http->push($this->http::accepted());

        $this->module()->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        $this->endRequest();

        $body = (string) $this->http->requests[0]['body'];
        self::assertStringContainsString(
            '"lines":['
            . '{"reference":"WHS-0001","quantity":1,"unit_price_tax_incl":"15.73","product_reference":"WHS-0001",'
            . '"combination":{"id":14,"reference":null,"ean13":"8412345678905","attributes":{"Size":"M","Color":"White"}}},'
            . '{"reference":"WHS-0001-S","quantity":1,"unit_price_tax_incl":"15.73","product_reference":"WHS-0001",'
            . '"combination":{"id":13,"reference":"WHS-0001-S","ean13":null,"attributes":{"Size":"S"}}},'
            . '{"reference":"WHS-0001","quantity":1,"unit_price_tax_incl":"15.73","product_reference":"WHS-0001"}]',
            $body
        );
    }

    public function testTheRetailersCarrierIsSentForTheHubsCarrierMap(): void
    {
        $this->configure('CLIENT');
        $this->givenOrder42();
        $this->givenMugInCatalog();
        \ObjectModel::$rows[\Order::class][42]['id_carrier'] = '2';
        $this->http->push($this->http::accepted());

        $this->module()->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        $this->endRequest();

        $body = json_decode((string) $this->http->requests[0]['body'], true, 512, JSON_THROW_ON_ERROR);
        self::assertSame(2, $body['order']['carrier_id']);
    }

    public function testAttributeNamesAreReadInTheShopsDefaultLanguage(): void
    {
        \Configuration::updateValue('PS_LANG_DEFAULT', '2');
        $this->givenOrder42();
        $this->givenMugInCatalog();
        \Order::$details[42][0]['product_attribute_id'] = '13';

        $snapshot = (new OrderRepository())->snapshot(42);

        self::assertSame(13, $snapshot->lines[0]['combination']['id']);
        $products = array_values(array_filter(
            \Cache::storedKeysStandIn(),
            static fn (string $key): bool => str_starts_with($key, 'objectmodel_Product_6_')
        ));
        self::assertSame('objectmodel_Product_6_0_2', end($products), 'the product is read in the default language');
    }

    public function testALineWhoseProductOrCombinationWasDeletedKeepsWhatTheOrderKnows(): void
    {
        $this->givenOrder42();
        $this->givenMugInCatalog();
        \Order::$details[42] = [
            ['product_id' => '6', 'product_attribute_id' => '99', 'product_reference' => 'WHS-0001-XL', 'product_quantity' => '1', 'unit_price_tax_incl' => '15.730000'],
            ['product_id' => '77', 'product_attribute_id' => '5', 'product_reference' => 'GONE-5', 'product_quantity' => '1', 'unit_price_tax_incl' => '1.000000'],
        ];

        $payload = Format::json((new OrderPayloadBuilder())->build((new OrderRepository())->snapshot(42)));

        self::assertStringContainsString(
            '"lines":['
            . '{"reference":"WHS-0001-XL","quantity":1,"unit_price_tax_incl":"15.73","product_reference":"WHS-0001",'
            . '"combination":{"id":99,"reference":null,"ean13":null,"attributes":{}}},'
            . '{"reference":"GONE-5","quantity":1,"unit_price_tax_incl":"1.00",'
            . '"combination":{"id":5,"reference":null,"ean13":null,"attributes":{}}}]',
            $payload
        );
    }

    public function testAStateChangeOfAnExistingOrderIsSentToo(): void
    {
        $this->configure('CLIENT');
        $this->givenOrder42(6, false);
        $this->http->push($this->http::accepted());

        $this->module()->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        $this->endRequest();

        $sent = json_decode((string) $this->http->requests[0]['body'], true);
        self::assertSame('6', $sent['order']['state']);
        self::assertFalse($sent['order']['valid']);
    }

    public function testOrderHooksProduceNothingOnASourceStore(): void
    {
        $this->configure('SOURCE');
        $this->givenOrder42();

        $this->module()->hookActionValidateOrder(['order' => new \Order(42)]);
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertSame([], $this->http->requests);
    }

    public function testMobilePhoneIsUsedWhenThereIsNoLandline(): void
    {
        $this->givenOrder42();
        \ObjectModel::$rows[\Address::class][7]['phone'] = '';
        \ObjectModel::$rows[\Address::class][7]['phone_mobile'] = '+34611111111';

        $payload = (new OrderPayloadBuilder())->build((new OrderRepository())->snapshot(42));

        self::assertSame('+34611111111', $payload['delivery_address']['phone']);
    }

    public function testMoneyIsRoundedToTwoDecimals(): void
    {
        $this->givenOrder42();
        \Order::$details[42][0]['unit_price_tax_incl'] = '22.944000';
        \ObjectModel::$rows[\Order::class][42]['total_paid_tax_incl'] = '54.135000';

        $payload = (new OrderPayloadBuilder())->build((new OrderRepository())->snapshot(42));

        self::assertSame('22.94', $payload['lines'][0]['unit_price_tax_incl']);
        self::assertSame('54.14', $payload['total_paid_tax_incl']);
        self::assertSame('15.73', Format::money('15.725'));
    }

    public function testAnOrderWithoutCreationDateIsSentWithTheTimeOfTheHook(): void
    {
        $this->configure('CLIENT');
        $this->givenOrder42();
        \ObjectModel::$rows[\Order::class][42]['date_add'] = '0000-00-00 00:00:00';
        $this->http->push($this->http::accepted());

        $this->module()->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        $this->endRequest();

        $sent = json_decode((string) $this->http->requests[0]['body'], true);
        self::assertSame('2026-11-27T10:00:00Z', $sent['order']['placed_at']);
    }

    public function testWithoutAnyDateTheOrderBuilderRefusesRatherThanSendingNull(): void
    {
        $this->givenOrder42();
        \ObjectModel::$rows[\Order::class][42]['date_add'] = '';

        $this->expectException(UnsyncableEntityException::class);
        (new OrderPayloadBuilder())->build((new OrderRepository())->snapshot(42));
    }

    public function testAnOrderWithoutLinesCannotBeReplicated(): void
    {
        $this->givenOrder42();
        \Order::$details[42] = [];

        $this->expectException(UnsyncableEntityException::class);
        (new OrderPayloadBuilder())->build((new OrderRepository())->snapshot(42));
    }
}
