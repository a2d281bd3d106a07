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
 * Configuration form input that cannot be saved; carries one message per field.
 */
final class InvalidSettingsException extends ConnectorException
{
    /**
     * @param array<string, string> $errors field name => human readable message
     */
    public function __construct(private readonly array $errors)
    {
        parent::__construct(implode(' ', $errors));
    }

    /**
     * @return array<string, string>
     */
    public function errors(): array
    {
        return $this->errors;
    }
}
