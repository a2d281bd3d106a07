<?php

/**
 * Calls a module must not make, one per method, for StandInsMatchPrestaShopTest to prove its scan
 * reports each (with the versions it fails on). Never executed.
 */

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Fixture;

final class WrongPrestaShopCalls
{
    public function __construct(private readonly \Module $module)
    {
    }

    /**
     * The Configure page bug of issue 13: Module::trans is protected.
     */
    public function protectedCall(): string
    {
        return $this->module->trans('Settings saved.');
    }

    public function removedIn9(): string
    {
        return \Tools::displayPrice(1.5);
    }

    public function addedIn82(): string
    {
        return \Tools::getCurrentUrl();
    }

    public function missingConstant(): int
    {
        return \Cart::NO_SUCH_TOTAL;
    }

    public function missingMethodDownAChain(): string
    {
        return \Context::getContext()->link->getModuleUrl('fulfillment_connector', 'cron');
    }

    public function abstractClass(): object
    {
        return new \Module();
    }
}
