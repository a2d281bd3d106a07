<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Model;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The connector's configuration for one shop. Holds secrets: never print or log it whole.
 */
final class Settings
{
    public function __construct(
        public readonly string $apiUrl,
        private readonly string $apiKey,
        private readonly string $signingSecret,
        public readonly ?Role $role,
        public readonly string $storeCode,
        public readonly int $hubWebserviceAccountId = 0,
    ) {
    }

    /**
     * Whether events can be produced and sent: hub URL, API key and role are all set.
     */
    public function isComplete(): bool
    {
        return $this->apiUrl !== '' && $this->apiKey !== '' && $this->role !== null;
    }

    public function apiKey(): string
    {
        return $this->apiKey;
    }

    public function signingSecret(): string
    {
        return $this->signingSecret;
    }

    public function hasSigningSecret(): bool
    {
        return $this->signingSecret !== '';
    }

    /**
     * The hub URL an event of this type is posted to, e.g. `http://hub:8080/api/sync/product`
     * or `…/sync/order-status`.
     */
    public function endpoint(EventType $type): string
    {
        return $this->apiUrl . '/sync/' . $type->pathSegment();
    }

    /**
     * A short, non-reversible fingerprint of a secret, to let an operator compare keys without
     * displaying them.
     */
    public static function fingerprint(string $secret): string
    {
        return $secret === '' ? '' : substr(hash('sha256', $secret), 0, 8);
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return [
            'apiUrl' => $this->apiUrl,
            'apiKey' => $this->apiKey === '' ? '' : '[REDACTED]',
            'signingSecret' => $this->signingSecret === '' ? '' : '[REDACTED]',
            'role' => $this->role?->value,
            'storeCode' => $this->storeCode,
            'hubWebserviceAccountId' => $this->hubWebserviceAccountId,
        ];
    }
}
