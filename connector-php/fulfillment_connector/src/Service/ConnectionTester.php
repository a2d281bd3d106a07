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

use FulfillmentConnector\Clock\Clock;
use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpTransport;
use FulfillmentConnector\Model\Settings;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The configuration page's "Test connection": is the hub up, and does it accept this store's key,
 * signature and role?
 *
 * 1. `GET <hub>/health`, where <hub> is the API URL without its trailing `/api`; when that answers 404,
 *    `GET <api_url>/health`.
 * 2. An authenticated probe: `POST <api_url>/sync/<product|order>` (the role's endpoint) with the body
 *    `{}`, signed like a real event. It carries no event_id, so the hub can never queue it. The hub
 *    checks the key, signature and role before the body, so 422 (or 400) means "authenticated and
 *    allowed", 401 "key or signature refused", 403 "key valid but not for this role".
 */
final class ConnectionTester
{
    public function __construct(
        private readonly HttpTransport $http,
        private readonly Clock $clock,
        private readonly ResponseClassifier $classifier,
    ) {
    }

    /**
     * @return list<array{check: string, ok: bool, message: string}>
     */
    public function test(Settings $settings): array
    {
        if (!$settings->isComplete()) {
            return [['check' => 'configuration', 'ok' => false, 'message' => 'Set the hub API URL, the API key and the role first.']];
        }

        return [$this->health($settings), $this->probe($settings)];
    }

    /**
     * @return list<string>
     */
    public static function healthUrls(string $apiUrl): array
    {
        $urls = [];
        if (preg_match('#^(.*)/api$#', $apiUrl, $matches) === 1) {
            $urls[] = $matches[1] . '/health';
        }
        $urls[] = $apiUrl . '/health';

        return array_values(array_unique($urls));
    }

    /**
     * @return array{check: string, ok: bool, message: string}
     */
    private function health(Settings $settings): array
    {
        $response = null;
        $url = '';
        try {
            foreach (self::healthUrls($settings->apiUrl) as $url) {
                $response = $this->http->request('GET', $url, ['Accept' => 'application/json']);
                if ($response->status !== 404) {
                    break;
                }
            }
        } catch (TransportException $e) {
            return ['check' => 'health', 'ok' => false, 'message' => 'Hub unreachable at ' . $url . ': ' . $e->getMessage()];
        }
        if ($response !== null && $response->status >= 200 && $response->status < 300) {
            return ['check' => 'health', 'ok' => true, 'message' => 'Hub is up (' . $url . ' answered ' . $response->status . ').'];
        }

        return [
            'check' => 'health',
            'ok' => false,
            'message' => $url . ' answered ' . ($response === null ? 'nothing' : $this->classifier->describe($response)) . '.',
        ];
    }

    /**
     * @return array{check: string, ok: bool, message: string}
     */
    private function probe(Settings $settings): array
    {
        $type = $settings->role->eventType();
        $body = '{}';
        $headers = OutboxDispatcher::headers($settings, $body, $this->clock->now());
        $headers['X-Fulfillment-Probe'] = '1';
        try {
            $response = $this->http->request('POST', $settings->endpoint($type), $headers, $body);
        } catch (TransportException $e) {
            return ['check' => 'authentication', 'ok' => false, 'message' => 'Hub unreachable: ' . $e->getMessage()];
        }

        $role = $settings->role->value;
        $signature = $settings->hasSigningSecret() ? 'API key and signature' : 'API key';

        return match (true) {
            $response->status === 422 || $response->status === 400 => [
                'check' => 'authentication',
                'ok' => true,
                'message' => sprintf('%s accepted for the %s role (the empty probe was rejected as expected).', $signature, $role),
            ],
            $response->status === 401 => [
                'check' => 'authentication',
                'ok' => false,
                'message' => sprintf('The hub refused the %s: %s.', $signature, $this->classifier->describe($response)),
            ],
            $response->status === 403 => [
                'check' => 'authentication',
                'ok' => false,
                'message' => sprintf('The key is valid but not for a %s store: %s.', $role, $this->classifier->describe($response)),
            ],
            $response->status === 202 => [
                'check' => 'authentication',
                'ok' => false,
                'message' => 'The hub accepted an empty probe event: check that the API URL points to the hub.',
            ],
            default => [
                'check' => 'authentication',
                'ok' => false,
                'message' => 'Unexpected answer: ' . $this->classifier->describe($response) . '.',
            ],
        };
    }
}
