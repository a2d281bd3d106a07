<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Exception;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * A product or order recorded during the request no longer exists when the event is built.
 */
final class EntityNotFoundException extends ConnectorException
{
    public static function product(int $id): self
    {
        return new self(sprintf('Product #%d no longer exists.', $id));
    }

    public static function order(int $id): self
    {
        return new self(sprintf('Order #%d does not exist.', $id));
    }
}
