<?php

/**
 * Back-office stand-ins: HelperForm renders its inputs and their values as plain HTML.
 */

declare(strict_types=1);

class HelperForm
{
    public $show_toolbar = true;
    public $table = 'configuration';
    public $module;
    public $name_controller = '';
    public $identifier;
    public $default_form_language;
    public $allow_employee_form_lang;
    public $submit_action;
    public $currentIndex;
    public $token;
    public $tpl_vars = [];

    /**
     * @standin the last forms generated, for assertions
     *
     * @var list<array<string, mixed>>
     */
    public static array $generated = [];

    public function generateForm($fields_form)
    {
        self::$generated = $fields_form;
        $html = '<form action="' . htmlspecialchars($this->currentIndex . '&token=' . $this->token) . '">';
        foreach ($fields_form as $form) {
            foreach ($form['form']['input'] as $input) {
                $value = $this->tpl_vars['fields_value'][$input['name']] ?? '';
                $html .= sprintf(
                    '<input type="%s" name="%s" value="%s">',
                    htmlspecialchars((string) $input['type']),
                    htmlspecialchars((string) $input['name']),
                    htmlspecialchars((string) $value)
                );
                if (isset($input['desc'])) {
                    $html .= '<p>' . htmlspecialchars((string) $input['desc']) . '</p>';
                }
            }
        }

        return $html . '</form>';
    }
}
