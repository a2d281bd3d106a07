<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Http;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * A JSON answer of one of the module's own endpoints: a status and a body, rendered by the front
 * controller.
 */
final class JsonResponse
{
    /**
     * @param array<string, mixed> $body
     */
    public function __construct(
        public readonly int $status,
        public readonly array $body,
    ) {
    }

    public static function error(int $status, string $code): self
    {
        return new self($status, ['error' => $code]);
    }

    public function json(): string
    {
        return json_encode($this->body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }
}
