<?php

/**
 * The translator Context::getTranslator() returns (PrestaShopBundle\Translation\TranslatorComponent, a
 * Symfony translator): no catalogue, so the message itself with its parameters substituted. Unlike
 * Module::trans in PrestaShop 8, it escapes nothing.
 */

declare(strict_types=1);

namespace PrestaShopBundle\Translation;

class TranslatorComponent
{
    public function trans($id, array $parameters = [], $domain = null, $locale = null)
    {
        return strtr((string) $id, $parameters);
    }
}
