<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Form;

use FulfillmentConnector\Clock\Clock;
use FulfillmentConnector\Exception\InvalidSettingsException;
use FulfillmentConnector\Repository\OutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\ConnectionTester;
use FulfillmentConnector\Service\CronRunner;
use FulfillmentConnector\Service\OutboxDispatcher;
use FulfillmentConnector\Service\StatusReport;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The module's configuration page (Module::getContent): the settings form, the status panel and its
 * actions (test connection, send now, re-queue failed events).
 */
final class ConfigurationPage
{
    public const ACTION_TEST = 'testFulfillmentConnection';
    public const ACTION_DISPATCH = 'dispatchFulfillmentOutbox';
    public const ACTION_REQUEUE = 'requeueFulfillmentFailed';

    /** @var callable(string, array<string, string>=): string */
    private $translate;

    /**
     * @param callable(string, array<string, string>=): string $translate
     */
    public function __construct(
        private readonly \Module $module,
        private readonly \Context $context,
        private readonly SettingsRepository $settings,
        private readonly ConfigurationForm $form,
        private readonly ConnectionTester $tester,
        private readonly OutboxRepository $outbox,
        private readonly OutboxDispatcher $dispatcher,
        private readonly StatusReport $status,
        private readonly Clock $clock,
        callable $translate,
    ) {
        $this->translate = $translate;
    }

    public function render(): string
    {
        $output = '';
        $submitted = null;

        if (\Tools::isSubmit(ConfigurationForm::SUBMIT)) {
            $submitted = [];
            foreach (ConfigurationForm::fieldNames() as $field) {
                $submitted[$field] = \Tools::getValue($field, '');
            }
            try {
                $settings = $this->form->validate($submitted, $this->settings->load());
                if ($this->settings->save($settings)) {
                    $submitted = null;
                    $output .= $this->module->displayConfirmation($this->t('Settings saved.'));
                } else {
                    $output .= $this->module->displayError($this->t('The settings could not be saved.'));
                }
            } catch (InvalidSettingsException $e) {
                $output .= $this->module->displayError(implode('<br>', array_map('htmlspecialchars', $e->errors())));
            }
        } elseif (\Tools::isSubmit(self::ACTION_TEST)) {
            foreach ($this->tester->test($this->settings->load()) as $result) {
                $message = htmlspecialchars($result['message']);
                $output .= $result['ok'] ? $this->module->displayConfirmation($message) : $this->module->displayError($message);
            }
        } elseif (\Tools::isSubmit(self::ACTION_DISPATCH)) {
            $report = $this->dispatcher->dispatch(CronRunner::BATCH, CronRunner::BUDGET_SECONDS);
            $output .= $this->module->displayConfirmation($this->t(
                'Delivery run: %claimed% due, %accepted% accepted, %duplicates% duplicates, %retried% to retry, %failed% failed.',
                [
                    '%claimed%' => (string) $report->claimed,
                    '%accepted%' => (string) $report->accepted,
                    '%duplicates%' => (string) $report->duplicates,
                    '%retried%' => (string) $report->retried,
                    '%failed%' => (string) $report->failed,
                ]
            ));
        } elseif (\Tools::isSubmit(self::ACTION_REQUEUE)) {
            $count = $this->outbox->requeueFailed($this->clock->now());
            $output .= $this->module->displayConfirmation($this->t('%count% failed events queued again.', ['%count%' => (string) $count]));
        }

        return $output . $this->renderForm($submitted) . $this->renderStatus();
    }

    /**
     * @param array<string, mixed>|null $submitted
     */
    private function renderForm(?array $submitted): string
    {
        $current = $this->settings->load();
        $helper = new \HelperForm();
        $helper->show_toolbar = false;
        $helper->table = 'module';
        $helper->module = $this->module;
        $helper->name_controller = $this->module->name;
        $helper->identifier = 'id_module';
        $helper->default_form_language = (int) \Configuration::get('PS_LANG_DEFAULT');
        $helper->allow_employee_form_lang = (int) \Configuration::get('PS_BO_ALLOW_EMPLOYEE_FORM_LANG');
        $helper->submit_action = ConfigurationForm::SUBMIT;
        $helper->currentIndex = $this->currentIndex();
        $helper->token = \Tools::getAdminTokenLite('AdminModules');
        $helper->tpl_vars = [
            'fields_value' => $this->form->values($current, $submitted),
            'languages' => $this->context->controller->getLanguages(),
            'id_language' => $this->context->language->id,
        ];

        return $helper->generateForm([$this->form->definition($current)]);
    }

    private function renderStatus(): string
    {
        $cronUrl = $this->context->link->getModuleLink(
            $this->module->name,
            'cron',
            ['token' => $this->settings->cronToken()],
            true
        );
        $this->context->smarty->assign([
            'fulfillment' => $this->status->build($this->settings->load(), $cronUrl),
            'fulfillment_action_url' => $this->currentIndex() . '&token=' . \Tools::getAdminTokenLite('AdminModules'),
            'fulfillment_actions' => [
                'test' => self::ACTION_TEST,
                'dispatch' => self::ACTION_DISPATCH,
                'requeue' => self::ACTION_REQUEUE,
            ],
        ]);

        return $this->module->display($this->module->getLocalPath() . $this->module->name . '.php', 'views/templates/admin/status.tpl');
    }

    private function currentIndex(): string
    {
        return $this->context->link->getAdminLink('AdminModules', false)
            . '&configure=' . $this->module->name . '&tab_module=' . $this->module->tab . '&module_name=' . $this->module->name;
    }

    /**
     * @param array<string, string> $params
     */
    private function t(string $text, array $params = []): string
    {
        return ($this->translate)($text, $params);
    }
}
