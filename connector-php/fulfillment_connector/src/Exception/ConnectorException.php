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
 * Base of every exception the connector throws on purpose.
 */
class ConnectorException extends \RuntimeException
{
}
