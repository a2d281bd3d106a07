<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Form\ConfigurationForm;
use FulfillmentConnector\Form\ConfigurationPage;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\Uuid;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The configuration page: saving settings, keeping secrets write-only, the status panel and its
 * actions.
 */
final class ConfigurationPageTest extends ConnectorTestCase
{
    private const NEW_KEY = 'k3y-NEW-abcdefghijklmnop';
    private const NEW_SECRET = 's3cret-NEW-abcdefghijklmnop';

    public function testValidSettingsAreSavedAndSecretsAreNeverPrintedBack(): void
    {
        $this->submit([
            SettingsRepository::API_URL => 'http://hub:8080/api/',
            SettingsRepository::API_KEY => self::NEW_KEY,
            SettingsRepository::SIGNING_SECRET => self::NEW_SECRET,
            SettingsRepository::ROLE => 'SOURCE',
            SettingsRepository::STORE_CODE => 'wholesaler',
            SettingsRepository::HUB_WS_ACCOUNT => '0',
        ]);

        $html = $this->module()->getContent();

        self::assertStringContainsString('Settings saved.', $html);
        self::assertSame('http://hub:8080/api', \Configuration::get(SettingsRepository::API_URL));
        self::assertSame(self::NEW_KEY, \Configuration::get(SettingsRepository::API_KEY));
        self::assertSame(self::NEW_SECRET, \Configuration::get(SettingsRepository::SIGNING_SECRET));
        self::assertSame('SOURCE', \Configuration::get(SettingsRepository::ROLE));
        self::assertStringNotContainsString(self::NEW_KEY, $html);
        self::assertStringNotContainsString(self::NEW_SECRET, $html);
        self::assertStringContainsString(substr(hash('sha256', self::NEW_KEY), 0, 8), $html, 'a fingerprint lets the operator compare keys');
        self::assertStringNotContainsString(self::NEW_KEY, \PrestaShopLogger::$logs === [] ? '' : json_encode(\PrestaShopLogger::$logs));
    }

    public function testWithMultistoreTheSettingsAreSavedForTheShopInContextOnly(): void
    {
        $this->configure('SOURCE');
        \Shop::setStandInContext(true, 2, 1);
        $this->submit([
            SettingsRepository::API_URL => 'https://hub.example/api',
            SettingsRepository::API_KEY => self::NEW_KEY,
            SettingsRepository::SIGNING_SECRET => self::NEW_SECRET,
            SettingsRepository::ROLE => 'CLIENT',
            SettingsRepository::STORE_CODE => 'retailer-2',
            SettingsRepository::HUB_WS_ACCOUNT => '0',
        ]);

        $html = $this->module()->getContent();

        self::assertStringContainsString('Settings saved.', $html);
        self::assertSame('retailer-2', (new SettingsRepository())->load(2)->storeCode);
        self::assertSame('wholesaler', (new SettingsRepository())->load(1)->storeCode, 'shop 1 keeps the global settings');
        self::assertSame('wholesaler', \Configuration::getGlobalValue(SettingsRepository::STORE_CODE));
    }

    public function testEmptySecretFieldsKeepTheStoredSecretsAndTheSwitchRemovesTheSignature(): void
    {
        $this->configure('SOURCE');
        $base = [
            SettingsRepository::API_URL => 'https://hub.example/api',
            SettingsRepository::API_KEY => '',
            SettingsRepository::SIGNING_SECRET => '',
            SettingsRepository::ROLE => 'SOURCE',
            SettingsRepository::STORE_CODE => 'wholesaler',
            SettingsRepository::HUB_WS_ACCOUNT => '0',
        ];

        $this->submit($base);
        $this->module()->getContent();
        self::assertSame([self::API_KEY, self::SIGNING_SECRET], [
            \Configuration::get(SettingsRepository::API_KEY), \Configuration::get(SettingsRepository::SIGNING_SECRET),
        ]);

        $this->submit($base + [ConfigurationForm::CLEAR_SIGNING_SECRET => '1']);
        $this->module()->getContent();
        self::assertSame(self::API_KEY, \Configuration::get(SettingsRepository::API_KEY));
        self::assertSame('', \Configuration::get(SettingsRepository::SIGNING_SECRET));
    }

    public function testInvalidInputIsRejectedFieldByFieldAndNothingIsSaved(): void
    {
        $this->submit([
            SettingsRepository::API_URL => 'ftp://user:pw@hub/api',
            SettingsRepository::API_KEY => 'short<b>',
            SettingsRepository::SIGNING_SECRET => 'has space in it',
            SettingsRepository::ROLE => 'ADMIN',
            SettingsRepository::STORE_CODE => '',
            SettingsRepository::HUB_WS_ACCOUNT => '99',
        ]);

        $html = $this->module()->getContent();

        foreach (['hub API URL', 'API key must', 'signing secret must', 'role of this store', 'store code', 'Webservice account'] as $message) {
            self::assertStringContainsString($message, $html);
        }
        self::assertFalse(\Configuration::get(SettingsRepository::API_URL));
        self::assertStringNotContainsString('short<b>', $html, 'not even an invalid secret is echoed');
        self::assertStringContainsString('value="ftp://user:pw@hub/api"', $html, 'the other fields are shown again for correction');
    }

    public function testStatusPanelShowsBacklogLastErrorLastSuccessAndTheCronUrl(): void
    {
        $this->configure('SOURCE');
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $sent = $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 6, '{}', $this->clock->now()), $this->clock->now());
        $failed = $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 7, '{}', $this->clock->now()), $this->clock->now());
        $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 8, '{}', $this->clock->now()), $this->clock->now());
        $outbox->claimDue($this->clock->now(), 2, 60, 'tok');
        $outbox->markSent($sent, 'tok', $this->clock->now(), 'queued', 202);
        $outbox->markFailed($failed, 'tok', $this->clock->now(), 'HTTP 422 invalid_payload: reference too long', 422);

        $this->module()->getContent();

        $panel = \Context::getContext()->smarty->vars['fulfillment'];
        self::assertSame([1, 1, 1], [$panel['pending'], $panel['failed'], $panel['sent']]);
        self::assertSame('HTTP 422 invalid_payload: reference too long', $panel['last_error']);
        self::assertSame('2026-11-27 10:00:00', $panel['last_success_at']);
        $token = (new SettingsRepository())->cronToken();
        self::assertSame('https://shop.example/module/fulfillment_connector/cron?token=' . $token, $panel['cron_url']);
        self::assertSame(64, strlen($token));
        self::assertStringNotContainsString((string) \Configuration::get(SettingsRepository::CRON_SECRET), $panel['cron_url']);
        self::assertStringNotContainsString(self::API_KEY, json_encode(\Context::getContext()->smarty->vars));
    }

    public function testTheHubWebserviceAccountIsChosenFromTheShopsAccountsWithMaskedKeys(): void
    {
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (3, 'HUBKEY0123456789ABCDEFGHIJKLMNOP', 'Fulfillment hub', 1)");
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (4, 'ERPKEY0123456789ABCDEFGHIJKLWXYZ', '', 0)");

        $html = $this->module()->getContent();

        $input = array_values(array_filter(
            \HelperForm::$generated[0]['form']['input'],
            static fn (array $input): bool => $input['name'] === SettingsRepository::HUB_WS_ACCOUNT
        ))[0];
        self::assertSame('select', $input['type']);
        self::assertSame(
            [
                ['id' => '0', 'name' => 'None: every change made through the Webservice is sent (default)'],
                ['id' => '3', 'name' => '#3 …MNOP Fulfillment hub'],
                ['id' => '4', 'name' => '#4 …WXYZ (inactive)'],
            ],
            $input['options']['query']
        );
        self::assertStringNotContainsString('HUBKEY0123456789', json_encode(\HelperForm::$generated, JSON_UNESCAPED_UNICODE) . $html);
        self::assertStringContainsString('name="' . SettingsRepository::HUB_WS_ACCOUNT . '" value="0"', $html, 'nothing stored is "none"');
    }

    public function testTheStatusPanelSaysWhichWebserviceChangesAreForwarded(): void
    {
        $this->configure('SOURCE');
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (3, 'HUBKEY0123456789ABCDEFGHIJKLMNOP', 'Fulfillment hub', 1)");
        $panel = function (): string {
            $this->module()->getContent();

            return \Context::getContext()->smarty->vars['fulfillment']['webservice_changes'];
        };

        self::assertSame('all forwarded (no hub account chosen)', $panel());

        // A value stored by 1.1.0 (an account id) still works.
        \Configuration::updateValue(SettingsRepository::HUB_WS_ACCOUNT, '3');
        self::assertSame('all forwarded except those made with the hub\'s account #3 …MNOP Fulfillment hub', $panel());

        \Db::getInstance()->execute('DELETE FROM ps_webservice_account');
        self::assertSame('all forwarded (the chosen hub account #3 no longer exists)', $panel());
    }

    public function testChoosingNoneOrAnAccountIsSaved(): void
    {
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (3, 'HUBKEY0123456789ABCDEFGHIJKLMNOP', 'Fulfillment hub', 1)");
        $base = [
            SettingsRepository::API_URL => 'http://hub:8080/api',
            SettingsRepository::API_KEY => self::NEW_KEY,
            SettingsRepository::ROLE => 'CLIENT',
            SettingsRepository::STORE_CODE => 'retailer-1',
        ];

        $this->submit($base + [SettingsRepository::HUB_WS_ACCOUNT => '3']);
        self::assertStringContainsString('Settings saved.', $this->module()->getContent());
        self::assertSame('3', \Configuration::get(SettingsRepository::HUB_WS_ACCOUNT));

        $this->submit($base + [SettingsRepository::HUB_WS_ACCOUNT => '']);
        self::assertStringContainsString('Settings saved.', $this->module()->getContent());
        self::assertSame('0', \Configuration::get(SettingsRepository::HUB_WS_ACCOUNT));
    }

    public function testTestConnectionReportsHealthAndAuthentication(): void
    {
        $this->configure('CLIENT');
        $this->http->push(
            new HttpResponse(200, '{"status":"ok"}'),
            new HttpResponse(422, '{"error":{"code":"invalid_payload","message":"event_id is required"}}')
        );
        \Tools::$requestValues[ConfigurationPage::ACTION_TEST] = '1';

        $html = $this->module()->getContent();

        self::assertStringContainsString('Hub is up (http://hub:8080/health answered 200)', $html);
        self::assertStringContainsString('API key and signature accepted for the CLIENT role', $html);
        self::assertSame('http://hub:8080/api/sync/order', $this->http->requests[1]['url']);
        self::assertSame('{}', $this->http->requests[1]['body']);
    }

    public function testRetryFailedEventsQueuesThemAgain(): void
    {
        $this->configure('SOURCE');
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $id = $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 6, '{}', $this->clock->now()), $this->clock->now());
        $outbox->claimDue($this->clock->now(), 1, 60, 'tok');
        $outbox->markFailed($id, 'tok', $this->clock->now(), 'HTTP 401', 401);
        \Tools::$requestValues[ConfigurationPage::ACTION_REQUEUE] = '1';

        $html = $this->module()->getContent();

        self::assertStringContainsString('1 failed events queued again.', $html);
        self::assertSame('pending', $outbox->find($id)->status);
    }

    /**
     * @param array<string, string> $values
     */
    private function submit(array $values): void
    {
        \Tools::$requestValues = $values + [ConfigurationForm::SUBMIT => '1'];
    }
}
