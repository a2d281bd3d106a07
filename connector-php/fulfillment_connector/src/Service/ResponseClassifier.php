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

use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Model\DeliveryOutcome;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Turns the hub's answer to an event into a delivery outcome.
 *
 * 202 is the only acceptance. 408, 429 and 5xx are retried (Retry-After honoured); any other 4xx is
 * permanent (the same body would be refused again); 3xx means the API URL is wrong (permanent until an
 * operator fixes it and re-queues); other 2xx are not an acceptance and are retried, which is safe
 * because the hub de-duplicates on event_id.
 */
final class ResponseClassifier
{
    private const MAX_ERROR_LENGTH = 900;

    public function classify(HttpResponse $response): DeliveryOutcome
    {
        $status = $response->status;
        if ($status === 202) {
            $decoded = json_decode($response->body, true);
            $hubStatus = is_array($decoded) && is_string($decoded['status'] ?? null) ? $decoded['status'] : 'queued';

            return DeliveryOutcome::accepted($status, $hubStatus);
        }

        $error = $this->describe($response);
        if ($status === 408 || $status === 429 || $status >= 500) {
            return DeliveryOutcome::retry($status, $error, $this->retryAfter($response));
        }
        if ($status >= 400 || ($status >= 300 && $status < 400)) {
            return DeliveryOutcome::permanent($status, $error);
        }

        return DeliveryOutcome::retry($status, $error);
    }

    /**
     * "HTTP 422 invalid_payload: message (product.price: must be ...)" from the hub's JSON error body,
     * or the start of the raw body when it is not the hub's format.
     */
    public function describe(HttpResponse $response): string
    {
        $text = 'HTTP ' . $response->status;
        $decoded = json_decode($response->body, true);
        $error = is_array($decoded) ? ($decoded['error'] ?? null) : null;
        if (is_array($error)) {
            $code = is_string($error['code'] ?? null) ? $error['code'] : '';
            $message = is_string($error['message'] ?? null) ? $error['message'] : '';
            $text .= ' ' . trim($code . ': ' . $message, ': ');
            if (is_array($error['fields'] ?? null) && $error['fields'] !== []) {
                $fields = [];
                foreach ($error['fields'] as $field => $messages) {
                    $fields[] = $field . ': ' . $this->flatten($messages);
                }
                $text .= ' (' . implode('; ', $fields) . ')';
            }
        } elseif ($response->status >= 300 && $response->status < 400 && $response->header('location') !== null) {
            $text .= ' redirect to ' . $response->header('location') . ' (fix the hub API URL)';
        } else {
            $snippet = trim(preg_replace('/\s+/', ' ', strip_tags($response->body)) ?? '');
            if ($snippet !== '') {
                $text .= ': ' . $snippet;
            }
        }

        return mb_substr($text, 0, self::MAX_ERROR_LENGTH);
    }

    /**
     * @param mixed $value
     */
    private function flatten($value): string
    {
        if (is_array($value)) {
            return implode(', ', array_map(fn ($item): string => $this->flatten($item), $value));
        }

        return is_scalar($value) ? (string) $value : '';
    }

    private function retryAfter(HttpResponse $response): ?int
    {
        $value = $response->header('retry-after');
        if ($value === null || $value === '') {
            return null;
        }
        if (ctype_digit($value)) {
            return (int) $value;
        }
        $date = strtotime($value);

        return $date === false ? null : max(0, $date - time());
    }
}
