<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Repository;

use FulfillmentConnector\Exception\ConnectorException;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Model\OutboxEvent;
use FulfillmentConnector\Model\OutboxStats;
use FulfillmentConnector\Service\Format;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * OutboxRepository on PrestaShop's Db (MySQL/MariaDB), table `<prefix>fulfillment_outbox`.
 * All dates are UTC `Y-m-d H:i:s` values computed in PHP, never NOW(): the database session
 * timezone is not known.
 */
final class DbOutboxRepository implements OutboxRepository
{
    public const TABLE = 'fulfillment_outbox';

    private const COLUMNS = '`id_outbox`, `event_id`, `event_type`, `id_shop`, `aggregate_id`, `payload`, `occurred_at`, '
        . '`status`, `attempts`, `next_attempt_at`, `last_error`, `last_http_status`, `delivery_status`, `sent_at`';

    private const MAX_ERROR_LENGTH = 1000;

    public function __construct(private readonly \Db $db)
    {
    }

    public static function table(): string
    {
        return _DB_PREFIX_ . self::TABLE;
    }

    /**
     * @return list<string> statements creating the table (idempotent)
     */
    public static function createSchemaSql(): array
    {
        return [
            'CREATE TABLE IF NOT EXISTS `' . self::table() . '` (
                `id_outbox` INT UNSIGNED NOT NULL AUTO_INCREMENT,
                `event_id` CHAR(36) NOT NULL,
                `event_type` VARCHAR(16) NOT NULL,
                `id_shop` INT UNSIGNED NOT NULL DEFAULT 1,
                `aggregate_id` INT UNSIGNED NOT NULL,
                `payload` MEDIUMTEXT NOT NULL,
                `occurred_at` VARCHAR(32) NOT NULL,
                `status` VARCHAR(16) NOT NULL DEFAULT \'pending\',
                `attempts` INT UNSIGNED NOT NULL DEFAULT 0,
                `next_attempt_at` DATETIME NOT NULL,
                `locked_until` DATETIME NULL,
                `claim_token` CHAR(32) NULL,
                `last_error` TEXT NULL,
                `last_http_status` SMALLINT UNSIGNED NULL,
                `delivery_status` VARCHAR(16) NULL,
                `created_at` DATETIME NOT NULL,
                `updated_at` DATETIME NOT NULL,
                `sent_at` DATETIME NULL,
                PRIMARY KEY (`id_outbox`),
                UNIQUE KEY `fulfillment_outbox_event_id` (`event_id`),
                KEY `fulfillment_outbox_due` (`status`, `next_attempt_at`),
                KEY `fulfillment_outbox_sent` (`status`, `sent_at`)
            ) ENGINE=' . _MYSQL_ENGINE_ . ' DEFAULT CHARSET=utf8mb4',
        ];
    }

    /**
     * @return list<string>
     */
    public static function dropSchemaSql(): array
    {
        return ['DROP TABLE IF EXISTS `' . self::table() . '`'];
    }

    public function add(NewOutboxEvent $event, \DateTimeImmutable $now): int
    {
        $nowSql = Format::sqlDate($now);
        $sql = 'INSERT INTO `' . self::table() . '` (`event_id`, `event_type`, `id_shop`, `aggregate_id`, `payload`, '
            . '`occurred_at`, `status`, `attempts`, `next_attempt_at`, `created_at`, `updated_at`) VALUES ('
            . "'" . pSQL($event->eventId) . "', "
            . "'" . pSQL($event->type->value) . "', "
            . (int) $event->idShop . ', '
            . (int) $event->aggregateId . ', '
            // html_ok: pSQL would otherwise strip anything that looks like a tag from the JSON.
            . "'" . pSQL($event->payload, true) . "', "
            . "'" . pSQL(Format::instant($event->occurredAt)) . "', "
            . "'" . OutboxEvent::STATUS_PENDING . "', 0, "
            . "'" . $nowSql . "', '" . $nowSql . "', '" . $nowSql . "')";
        if (!$this->db->execute($sql, false)) {
            throw new ConnectorException('Could not write the event to the outbox: ' . $this->db->getMsgError());
        }

        return (int) $this->db->Insert_ID();
    }

    public function claimDue(\DateTimeImmutable $now, int $limit, int $leaseSeconds, string $token): array
    {
        $nowSql = Format::sqlDate($now);
        $claimable = "`status` = '" . OutboxEvent::STATUS_PENDING . "'"
            . " AND (`locked_until` IS NULL OR `locked_until` < '" . $nowSql . "')";
        $candidates = $this->db->executeS(
            'SELECT `id_outbox` FROM `' . self::table() . '` WHERE ' . $claimable
            . " AND `next_attempt_at` <= '" . $nowSql . "' ORDER BY `id_outbox` ASC LIMIT " . max(1, $limit),
            true,
            false
        );
        if (!is_array($candidates) || $candidates === []) {
            return [];
        }

        $lockedUntil = Format::sqlDate($now->modify('+' . max(1, $leaseSeconds) . ' seconds'));
        $claimed = [];
        foreach ($candidates as $candidate) {
            $id = (int) $candidate['id_outbox'];
            // Compare-and-set on the row: of two concurrent senders exactly one sees an affected row.
            $this->db->execute(
                'UPDATE `' . self::table() . "` SET `claim_token` = '" . pSQL($token) . "', `locked_until` = '" . $lockedUntil . "'"
                . ' WHERE `id_outbox` = ' . $id . ' AND ' . $claimable,
                false
            );
            if ((int) $this->db->Affected_Rows() === 1) {
                $claimed[] = $id;
            }
        }
        if ($claimed === []) {
            return [];
        }

        $rows = $this->db->executeS(
            'SELECT ' . self::COLUMNS . ' FROM `' . self::table() . '` WHERE `id_outbox` IN (' . implode(',', $claimed) . ')'
            . " AND `claim_token` = '" . pSQL($token) . "' ORDER BY `id_outbox` ASC",
            true,
            false
        );

        return array_map(fn (array $row): OutboxEvent => $this->hydrate($row), is_array($rows) ? $rows : []);
    }

    public function markSent(int $sequence, string $token, \DateTimeImmutable $now, string $deliveryStatus, int $httpStatus): bool
    {
        $nowSql = Format::sqlDate($now);

        return $this->finishAttempt($sequence, $token, "`status` = '" . OutboxEvent::STATUS_SENT . "', `sent_at` = '" . $nowSql . "'"
            . ", `delivery_status` = '" . pSQL(mb_substr($deliveryStatus, 0, 16)) . "', `last_http_status` = " . $httpStatus
            . ", `updated_at` = '" . $nowSql . "'");
    }

    public function scheduleRetry(int $sequence, string $token, \DateTimeImmutable $now, \DateTimeImmutable $nextAttemptAt, string $error, ?int $httpStatus): bool
    {
        return $this->finishAttempt($sequence, $token, "`next_attempt_at` = '" . Format::sqlDate($nextAttemptAt) . "'"
            . ', ' . $this->errorAssignments($now, $error, $httpStatus));
    }

    public function markFailed(int $sequence, string $token, \DateTimeImmutable $now, string $error, ?int $httpStatus): bool
    {
        return $this->finishAttempt($sequence, $token, "`status` = '" . OutboxEvent::STATUS_FAILED . "'"
            . ', ' . $this->errorAssignments($now, $error, $httpStatus));
    }

    public function release(int $sequence, string $token): void
    {
        $this->db->execute(
            'UPDATE `' . self::table() . '` SET `claim_token` = NULL, `locked_until` = NULL'
            . ' WHERE `id_outbox` = ' . $sequence . " AND `claim_token` = '" . pSQL($token) . "'",
            false
        );
    }

    public function requeueFailed(\DateTimeImmutable $now): int
    {
        $nowSql = Format::sqlDate($now);
        $this->db->execute(
            'UPDATE `' . self::table() . "` SET `status` = '" . OutboxEvent::STATUS_PENDING . "', `attempts` = 0"
            . ", `next_attempt_at` = '" . $nowSql . "', `updated_at` = '" . $nowSql . "', `claim_token` = NULL, `locked_until` = NULL"
            . " WHERE `status` = '" . OutboxEvent::STATUS_FAILED . "'",
            false
        );

        return (int) $this->db->Affected_Rows();
    }

    public function purgeSentBefore(\DateTimeImmutable $before): int
    {
        // The newest row is always kept: on MySQL < 8.0 (and old MariaDB) an empty table would restart
        // AUTO_INCREMENT after a server restart, and the sequence would go backwards.
        $newest = (int) $this->db->getValue('SELECT MAX(`id_outbox`) FROM `' . self::table() . '`', false);
        $this->db->execute(
            'DELETE FROM `' . self::table() . "` WHERE `status` = '" . OutboxEvent::STATUS_SENT . "'"
            . " AND `sent_at` < '" . Format::sqlDate($before) . "' AND `id_outbox` < " . $newest,
            false
        );

        return (int) $this->db->Affected_Rows();
    }

    public function hasEventsBackingOff(\DateTimeImmutable $now): bool
    {
        return (bool) $this->db->getValue(
            'SELECT 1 FROM `' . self::table() . "` WHERE `status` = '" . OutboxEvent::STATUS_PENDING . "'"
            . " AND `attempts` > 0 AND `next_attempt_at` > '" . Format::sqlDate($now) . "'",
            false
        );
    }

    public function stats(\DateTimeImmutable $now): OutboxStats
    {
        $counts = [OutboxEvent::STATUS_PENDING => 0, OutboxEvent::STATUS_SENT => 0, OutboxEvent::STATUS_FAILED => 0];
        $rows = $this->db->executeS('SELECT `status`, COUNT(*) AS `n` FROM `' . self::table() . '` GROUP BY `status`', true, false);
        foreach (is_array($rows) ? $rows : [] as $row) {
            $counts[(string) $row['status']] = (int) $row['n'];
        }
        $backingOff = (int) $this->db->getValue(
            'SELECT COUNT(*) FROM `' . self::table() . "` WHERE `status` = '" . OutboxEvent::STATUS_PENDING . "'"
            . " AND `attempts` > 0 AND `next_attempt_at` > '" . Format::sqlDate($now) . "'",
            false
        );
        $oldest = $this->db->getValue(
            'SELECT MIN(`created_at`) FROM `' . self::table() . "` WHERE `status` = '" . OutboxEvent::STATUS_PENDING . "'",
            false
        );
        $lastError = $this->db->getRow(
            'SELECT `last_error`, `updated_at` FROM `' . self::table() . '` WHERE `last_error` IS NOT NULL'
            . ' ORDER BY `updated_at` DESC, `id_outbox` DESC',
            false
        );
        $lastSuccess = $this->db->getValue('SELECT MAX(`sent_at`) FROM `' . self::table() . '`', false);

        return new OutboxStats(
            $counts[OutboxEvent::STATUS_PENDING],
            $backingOff,
            $counts[OutboxEvent::STATUS_FAILED],
            $counts[OutboxEvent::STATUS_SENT],
            $oldest ? (string) $oldest : null,
            is_array($lastError) ? (string) $lastError['last_error'] : null,
            is_array($lastError) ? (string) $lastError['updated_at'] : null,
            $lastSuccess ? (string) $lastSuccess : null
        );
    }

    public function find(int $sequence): ?OutboxEvent
    {
        $row = $this->db->getRow(
            'SELECT ' . self::COLUMNS . ' FROM `' . self::table() . '` WHERE `id_outbox` = ' . $sequence,
            false
        );

        return is_array($row) ? $this->hydrate($row) : null;
    }

    private function finishAttempt(int $sequence, string $token, string $assignments): bool
    {
        $this->db->execute(
            'UPDATE `' . self::table() . '` SET ' . $assignments . ', `attempts` = `attempts` + 1'
            . ', `claim_token` = NULL, `locked_until` = NULL'
            . ' WHERE `id_outbox` = ' . $sequence . " AND `claim_token` = '" . pSQL($token) . "'",
            false
        );

        return (int) $this->db->Affected_Rows() === 1;
    }

    private function errorAssignments(\DateTimeImmutable $now, string $error, ?int $httpStatus): string
    {
        return "`last_error` = '" . pSQL(mb_substr($error, 0, self::MAX_ERROR_LENGTH), true) . "'"
            . ', `last_http_status` = ' . ($httpStatus === null ? 'NULL' : (string) $httpStatus)
            . ", `updated_at` = '" . Format::sqlDate($now) . "'";
    }

    /**
     * @param array<string, mixed> $row
     */
    private function hydrate(array $row): OutboxEvent
    {
        return new OutboxEvent(
            (int) $row['id_outbox'],
            (string) $row['event_id'],
            EventType::from((string) $row['event_type']),
            (int) $row['id_shop'],
            (int) $row['aggregate_id'],
            (string) $row['payload'],
            (string) $row['occurred_at'],
            (string) $row['status'],
            (int) $row['attempts'],
            (string) $row['next_attempt_at'],
            $row['last_error'] === null ? null : (string) $row['last_error'],
            $row['last_http_status'] === null ? null : (int) $row['last_http_status'],
            $row['delivery_status'] === null ? null : (string) $row['delivery_status'],
            $row['sent_at'] === null ? null : (string) $row['sent_at']
        );
    }
}
