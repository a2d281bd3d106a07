<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Service;

use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Http\HttpTransport;
use FulfillmentConnector\Model\OrderReplication;
use FulfillmentConnector\Model\Settings;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Asks the hub what became of one of this store's orders: `GET {api_url}/orders/{store_code}/{id_order}`
 * with the store's `X-API-KEY` (the hub authenticates this read by the key alone; a client store's key
 * reads its own orders). Never throws: whatever goes wrong is a state of the answer, so the order page
 * that shows it never fails. The key is sent, never returned or logged.
 */
final class HubOrderLookup
{
    /**
     * Carrier and shipping fields shown when the hub sends them (added to the hub after 1.2.0), except
     * those the panel shows in their own place.
     */
    private const SHIPPING_FIELD = '/^(carrier_name|shipping_[a-z0-9_]+|tracking_[a-z0-9_]+)$/';

    /** Fields with their own place in the panel (1.3.0: the life of the order at the wholesaler). */
    private const OWN_FIELDS = ['tracking_number'];

    public function __construct(private readonly HttpTransport $http)
    {
    }

    public static function url(Settings $settings, int $idOrder): string
    {
        return $settings->apiUrl . '/orders/' . rawurlencode($settings->storeCode) . '/' . $idOrder;
    }

    public function find(Settings $settings, int $idOrder): OrderReplication
    {
        try {
            $response = $this->http->request('GET', self::url($settings, $idOrder), [
                'Accept' => 'application/json',
                'X-API-KEY' => $settings->apiKey(),
            ]);
        } catch (TransportException) {
            return OrderReplication::because('unreachable');
        }

        return match (true) {
            $response->status === 200 => $this->read($response),
            $response->status === 404 => OrderReplication::because('unknown', 404),
            $response->status === 401, $response->status === 403 => OrderReplication::because('refused', $response->status),
            $response->status >= 500 => OrderReplication::because('unreachable', $response->status),
            default => OrderReplication::because('unexpected', $response->status),
        };
    }

    private function read(HttpResponse $response): OrderReplication
    {
        try {
            $body = json_decode($response->body, true, 16, JSON_THROW_ON_ERROR);
        } catch (\JsonException) {
            return OrderReplication::because('unexpected', 200);
        }
        if (!is_array($body) || !is_string($body['status'] ?? null)) {
            return OrderReplication::because('unexpected', 200);
        }
        $status = $body['status'];
        $text = static fn (string $key): ?string => is_scalar($body[$key] ?? null) && (string) $body[$key] !== '' ? (string) $body[$key] : null;
        // A string or a number, never true/false, an object or a list: anything else shows nothing.
        $plain = static function (string $key) use ($body): ?string {
            $value = $body[$key] ?? null;
            $value = is_string($value) ? trim($value) : (is_int($value) || is_float($value) ? (string) $value : null);

            return $value === null || $value === '' ? null : $value;
        };
        $shipping = [];
        foreach ($body as $key => $value) {
            if (in_array($key, self::OWN_FIELDS, true)) {
                continue;
            }
            if (is_string($key) && preg_match(self::SHIPPING_FIELD, $key) === 1 && is_scalar($value) && (string) $value !== '') {
                $shipping[$key] = (string) $value;
            }
        }
        $sourceOrderId = $body['source_order_id'] ?? null;

        return new OrderReplication(
            in_array($status, OrderReplication::HUB_STATES, true) ? $status : 'unexpected',
            200,
            is_int($sourceOrderId) ? $sourceOrderId : null,
            $text('source_reference'),
            $text('source_state'),
            $text('error'),
            $text('updated_at'),
            $shipping,
            $status,
            $plain('source_state_name'),
            $plain('client_state'),
            $plain('tracking_number'),
            $plain('status_updated_at'),
            $plain('attention')
        );
    }
}
