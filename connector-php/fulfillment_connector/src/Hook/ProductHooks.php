<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Hook;

use FulfillmentConnector\Clock\Clock;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Repository\ProductRepository;
use FulfillmentConnector\Service\AfterResponseRunner;
use FulfillmentConnector\Service\EventBuffer;
use FulfillmentConnector\Service\EventGate;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * SOURCE store: every hook that can mean "this product, its combinations or its stock changed" only
 * records the product id; the event is built once, from the final state, at the end of the request.
 * Hook parameters as observed on PrestaShop 8.2.1 (ids arrive as int or string).
 */
final class ProductHooks
{
    /** @var callable(): int */
    private $languageId;

    /**
     * @param callable(): int $languageId language of names in events
     */
    public function __construct(
        private readonly EventGate $gate,
        private readonly Clock $clock,
        private readonly AfterResponseRunner $afterResponse,
        private readonly ProductRepository $products,
        callable $languageId,
    ) {
        $this->languageId = $languageId;
    }

    /**
     * actionProductSave: `id_product`, `product` (Product::add and Product::update only).
     *
     * @param array<string, mixed> $params
     */
    public function onProductSave(array $params): void
    {
        $product = $params['product'] ?? null;
        $this->record($params['id_product'] ?? (is_object($product) ? $product->id : 0));
    }

    /**
     * actionObjectProductAddAfter / actionObjectProductUpdateAfter: `object` (every path, Webservice
     * included).
     *
     * @param array<string, mixed> $params
     */
    public function onProductObjectSaved(array $params): void
    {
        $object = $params['object'] ?? null;
        $this->record(is_object($object) ? $object->id : 0);
    }

    /**
     * actionObjectProductDeleteAfter: the product is gone; report it inactive with no stock.
     *
     * @param array<string, mixed> $params
     */
    public function onProductObjectDeleted(array $params): void
    {
        $object = $params['object'] ?? null;
        if (!$object instanceof \Product || (int) $object->id <= 0 || !$this->gate->allows(Role::Source)) {
            return;
        }
        $now = $this->clock->now();
        EventBuffer::recordDeletedProduct($this->products->deletedSnapshot($object, ($this->languageId)(), $now), $now);
        $this->afterResponse->schedule();
    }

    /**
     * actionUpdateQuantity: `id_product`, `id_product_attribute`, `quantity` (new), `delta_quantity`.
     * Only the product id is kept: the quantity is read again at the end of the request.
     *
     * @param array<string, mixed> $params
     */
    public function onUpdateQuantity(array $params): void
    {
        $this->record($params['id_product'] ?? 0);
    }

    /**
     * actionObjectStockAvailableUpdateAfter (Webservice stock writes fire only this one), and
     * actionObjectCombinationAddAfter/UpdateAfter/DeleteAfter: `object` with `id_product`.
     *
     * @param array<string, mixed> $params
     */
    public function onProductPartSaved(array $params): void
    {
        $object = $params['object'] ?? null;
        $this->record(is_object($object) && isset($object->id_product) ? $object->id_product : 0);
    }

    /**
     * @param mixed $idProduct
     */
    private function record($idProduct): void
    {
        $id = is_numeric($idProduct) ? (int) $idProduct : 0;
        if ($id <= 0 || !$this->gate->allows(Role::Source)) {
            return;
        }
        EventBuffer::recordProduct($id, $this->clock->now());
        $this->afterResponse->schedule();
    }
}
