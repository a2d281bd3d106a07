{**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 *}
<div class="panel" id="fulfillment-connector-status">
  <div class="panel-heading">
    <i class="icon-exchange"></i> {l s='Hub synchronisation status' d='Modules.Fulfillmentconnector.Admin'}
  </div>
  {if !$fulfillment.configured}
    <div class="alert alert-warning">
      {l s='The connector is not configured: no event is produced until the hub API URL, the API key and the role are saved.' d='Modules.Fulfillmentconnector.Admin'}
    </div>
  {/if}
  <table class="table">
    <tbody>
      <tr>
        <th>{l s='Role' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>{$fulfillment.role|escape:'htmlall':'UTF-8'} {if $fulfillment.store_code}({$fulfillment.store_code|escape:'htmlall':'UTF-8'}){/if}</td>
      </tr>
      <tr>
        <th>{l s='Hub API URL' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>{$fulfillment.api_url|escape:'htmlall':'UTF-8'}</td>
      </tr>
      <tr>
        <th>{l s='API key' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>
          {if $fulfillment.api_key_set}
            {l s='set' d='Modules.Fulfillmentconnector.Admin'} ({l s='fingerprint' d='Modules.Fulfillmentconnector.Admin'} {$fulfillment.api_key_fingerprint|escape:'htmlall':'UTF-8'})
          {else}
            {l s='not set' d='Modules.Fulfillmentconnector.Admin'}
          {/if}
        </td>
      </tr>
      <tr>
        <th>{l s='Request signing' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>
          {if $fulfillment.signing_enabled}
            {l s='on' d='Modules.Fulfillmentconnector.Admin'} ({l s='fingerprint' d='Modules.Fulfillmentconnector.Admin'} {$fulfillment.signing_fingerprint|escape:'htmlall':'UTF-8'})
          {else}
            {l s='off' d='Modules.Fulfillmentconnector.Admin'}
          {/if}
        </td>
      </tr>
      <tr>
        <th>{l s='Webservice changes' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>{$fulfillment.webservice_changes|escape:'htmlall':'UTF-8'}</td>
      </tr>
      <tr>
        <th>{l s='Outbox backlog' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>
          {$fulfillment.pending|intval} {l s='waiting' d='Modules.Fulfillmentconnector.Admin'},
          {$fulfillment.backing_off|intval} {l s='of them waiting for a retry' d='Modules.Fulfillmentconnector.Admin'}
          {if $fulfillment.oldest_pending_at} ({l s='oldest since' d='Modules.Fulfillmentconnector.Admin'} {$fulfillment.oldest_pending_at|escape:'htmlall':'UTF-8'} UTC){/if}
        </td>
      </tr>
      <tr>
        <th>{l s='Failed events' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>{$fulfillment.failed|intval}</td>
      </tr>
      <tr>
        <th>{l s='Delivered events kept' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>{$fulfillment.sent|intval}</td>
      </tr>
      <tr>
        <th>{l s='Last success' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>{if $fulfillment.last_success_at}{$fulfillment.last_success_at|escape:'htmlall':'UTF-8'} UTC{else}-{/if}</td>
      </tr>
      <tr>
        <th>{l s='Last error' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>
          {if $fulfillment.last_error}
            {$fulfillment.last_error_at|escape:'htmlall':'UTF-8'} UTC: <code>{$fulfillment.last_error|escape:'htmlall':'UTF-8'}</code>
          {else}-{/if}
        </td>
      </tr>
      <tr>
        <th>{l s='Cron URL' d='Modules.Fulfillmentconnector.Admin'}</th>
        <td>
          <code>*/1 * * * * curl -fsS "{$fulfillment.cron_url|escape:'htmlall':'UTF-8'}" &gt;/dev/null</code>
        </td>
      </tr>
    </tbody>
  </table>
  <form method="post" action="{$fulfillment_action_url|escape:'htmlall':'UTF-8'}" class="form-inline" style="margin-top: 10px">
    <button type="submit" name="{$fulfillment_actions.test|escape:'htmlall':'UTF-8'}" value="1" class="btn btn-default">
      <i class="icon-plug"></i> {l s='Test connection' d='Modules.Fulfillmentconnector.Admin'}
    </button>
    <button type="submit" name="{$fulfillment_actions.dispatch|escape:'htmlall':'UTF-8'}" value="1" class="btn btn-default">
      <i class="icon-upload"></i> {l s='Send due events now' d='Modules.Fulfillmentconnector.Admin'}
    </button>
    <button type="submit" name="{$fulfillment_actions.requeue|escape:'htmlall':'UTF-8'}" value="1" class="btn btn-default">
      <i class="icon-refresh"></i> {l s='Retry failed events' d='Modules.Fulfillmentconnector.Admin'}
    </button>
  </form>
</div>
