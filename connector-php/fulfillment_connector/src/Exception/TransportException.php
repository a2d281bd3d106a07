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
 * The hub could not be reached or did not answer in time (DNS, connection refused, TLS, timeout).
 * Always retryable: the request may or may not have reached the hub.
 */
final class TransportException extends ConnectorException
{
    public function __construct(string $message, private readonly bool $timedOut = false)
    {
        parent::__construct($message);
    }

    /**
     * Whether the failure was a connect or total timeout rather than a refusal.
     */
    public function timedOut(): bool
    {
        return $this->timedOut;
    }
}
