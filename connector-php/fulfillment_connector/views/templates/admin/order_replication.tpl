{**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 *}
<div class="card mt-2" id="fulfillment-order-replication">
  <div class="card-header">
    <h3 class="card-header-title">{l s='Fulfillment Hub' d='Modules.Fulfillmentconnector.Admin'}</h3>
  </div>
  <div class="card-body">
    {if $fulfillment_order.attention}
      <div class="alert alert-warning mb-2" role="alert" id="fulfillment-order-attention">{$fulfillment_order.attention|escape:'htmlall':'UTF-8'}</div>
    {/if}
    {if $fulfillment_order.state == 'created'}
      <p class="mb-1">
        <span class="badge badge-success">{l s='Sent' d='Modules.Fulfillmentconnector.Admin'}</span>
        {l s='Sent to the wholesaler as order' d='Modules.Fulfillmentconnector.Admin'}
        #{$fulfillment_order.source_order_id|intval}{if $fulfillment_order.source_reference} ({$fulfillment_order.source_reference|escape:'htmlall':'UTF-8'}){/if}
      </p>
    {elseif $fulfillment_order.state == 'waiting_payment'}
      <p class="mb-1">
        <span class="badge badge-warning">{l s='Waiting' d='Modules.Fulfillmentconnector.Admin'}</span>
        {l s='Waiting for payment before it is sent' d='Modules.Fulfillmentconnector.Admin'}
      </p>
    {elseif $fulfillment_order.state == 'pending'}
      <p class="mb-1">
        <span class="badge badge-info">{l s='Being sent' d='Modules.Fulfillmentconnector.Admin'}</span>
        {l s='Being sent to the wholesaler' d='Modules.Fulfillmentconnector.Admin'}
      </p>
    {elseif $fulfillment_order.state == 'failed'}
      <p class="mb-1">
        <span class="badge badge-danger">{l s='Failed' d='Modules.Fulfillmentconnector.Admin'}</span>
        {l s='Failed:' d='Modules.Fulfillmentconnector.Admin'} <code>{$fulfillment_order.error|escape:'htmlall':'UTF-8'}</code>
      </p>
      <p class="small text-muted mb-1">
        {l s='Fix the cause, then use Retry on the hub\'s Jobs page or run `hub replay`.' d='Modules.Fulfillmentconnector.Admin'}
      </p>
    {elseif $fulfillment_order.state == 'unknown'}
      <p class="mb-1">{l s='Not known to the hub' d='Modules.Fulfillmentconnector.Admin'}</p>
    {elseif $fulfillment_order.state == 'refused'}
      <p class="mb-1">
        {l s='The hub refused the request' d='Modules.Fulfillmentconnector.Admin'} (HTTP {$fulfillment_order.http_status|intval}):
        {l s='check the API key and the store code in the module\'s configuration.' d='Modules.Fulfillmentconnector.Admin'}
      </p>
    {elseif $fulfillment_order.state == 'unreachable'}
      <p class="mb-1">{l s='Hub unreachable' d='Modules.Fulfillmentconnector.Admin'}{if $fulfillment_order.http_status} (HTTP {$fulfillment_order.http_status|intval}){/if}</p>
    {else}
      <p class="mb-1">
        {l s='Unexpected answer from the hub' d='Modules.Fulfillmentconnector.Admin'}{if $fulfillment_order.http_status} (HTTP {$fulfillment_order.http_status|intval}){/if}{if $fulfillment_order.hub_status}: {$fulfillment_order.hub_status|escape:'htmlall':'UTF-8'}{/if}
      </p>
    {/if}
    {if $fulfillment_order.source_state_name || $fulfillment_order.source_state || $fulfillment_order.client_state || $fulfillment_order.tracking_number || $fulfillment_order.status_updated_at}
      <dl class="row small mb-0" id="fulfillment-order-status">
        {if $fulfillment_order.source_state_name}
          <dt class="col-sm-5">{l s='Wholesaler\'s state' d='Modules.Fulfillmentconnector.Admin'}</dt>
          <dd class="col-sm-7">{$fulfillment_order.source_state_name|escape:'htmlall':'UTF-8'}</dd>
        {elseif $fulfillment_order.source_state}
          <dt class="col-sm-5">{l s='Wholesaler\'s state' d='Modules.Fulfillmentconnector.Admin'}</dt>
          <dd class="col-sm-7">{$fulfillment_order.source_state|escape:'htmlall':'UTF-8'}</dd>
        {/if}
        {if $fulfillment_order.client_state}
          <dt class="col-sm-5">{l s='This shop\'s state, as the hub last saw or set it' d='Modules.Fulfillmentconnector.Admin'}</dt>
          <dd class="col-sm-7">{if $fulfillment_order.client_state_name}{$fulfillment_order.client_state_name|escape:'htmlall':'UTF-8'} (#{$fulfillment_order.client_state|escape:'htmlall':'UTF-8'}){else}{$fulfillment_order.client_state|escape:'htmlall':'UTF-8'}{/if}</dd>
        {/if}
        {if $fulfillment_order.tracking_number}
          <dt class="col-sm-5">{l s='Tracking number' d='Modules.Fulfillmentconnector.Admin'}</dt>
          <dd class="col-sm-7">{$fulfillment_order.tracking_number|escape:'htmlall':'UTF-8'}</dd>
        {/if}
        {if $fulfillment_order.status_updated_at}
          <dt class="col-sm-5">{l s='Last update' d='Modules.Fulfillmentconnector.Admin'}</dt>
          <dd class="col-sm-7">{$fulfillment_order.status_updated_at|escape:'htmlall':'UTF-8'}</dd>
        {/if}
      </dl>
    {/if}
    {if $fulfillment_order.shipping}
      <dl class="row small mb-0">
        {foreach from=$fulfillment_order.shipping key=name item=value}
          <dt class="col-sm-5">{$name|replace:'_':' '|escape:'htmlall':'UTF-8'}</dt>
          <dd class="col-sm-7">{$value|escape:'htmlall':'UTF-8'}</dd>
        {/foreach}
      </dl>
    {/if}
    {if $fulfillment_order.updated_at}
      <p class="small text-muted mb-0">{l s='Last change on the hub:' d='Modules.Fulfillmentconnector.Admin'} {$fulfillment_order.updated_at|escape:'htmlall':'UTF-8'}</p>
    {/if}
  </div>
</div>
