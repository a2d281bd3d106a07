<?php

/**
 * Db stand-in that runs the module's SQL for real, on an in-memory SQLite database, after turning the
 * few MySQL-only DDL idioms into SQLite ones. Escaping follows PrestaShop's Db::escape: without
 * $html_ok anything that looks like a tag, and line breaks, are stripped.
 */

declare(strict_types=1);

abstract class Db
{
    /** @standin */
    private static ?Db $stubInstance = null;

    /** @standin */
    private PDO $pdo;

    /** @standin */
    private int $affectedRows = 0;

    /** @standin */
    private string $lastError = '';

    /**
     * @standin every statement run, for assertions
     *
     * @var list<string>
     */
    public array $log = [];

    /** The connection parameters are those of PrestaShop's Db; the stand-in opens SQLite in memory. */
    public function __construct($server, $user, $password, $database, $connect = true)
    {
        $this->pdo = new PDO('sqlite::memory:');
        $this->pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_SILENT);
        $this->pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_ASSOC);
        $this->pdo->setAttribute(PDO::ATTR_STRINGIFY_FETCHES, true);
    }

    public static function getInstance($master = true)
    {
        return self::$stubInstance ??= new StubSqliteDb('', '', '', '');
    }

    /** @standin a fresh, empty database */
    public static function resetInstance(): void
    {
        self::$stubInstance = new StubSqliteDb('', '', '', '');
    }

    public function execute($sql, $use_cache = true)
    {
        $sql = self::translate((string) $sql);
        $this->log[] = $sql;
        $result = $this->pdo->exec($sql);
        if ($result === false) {
            $this->lastError = (string) ($this->pdo->errorInfo()[2] ?? 'error');
            $this->affectedRows = 0;

            return false;
        }
        $this->affectedRows = $result;

        return true;
    }

    /**
     * @return array<int, array<string, mixed>>|false
     */
    public function executeS($sql, $array = true, $use_cache = true)
    {
        $this->log[] = (string) $sql;
        $statement = $this->pdo->query((string) $sql);
        if ($statement === false) {
            $this->lastError = (string) ($this->pdo->errorInfo()[2] ?? 'error');

            return false;
        }

        return $statement->fetchAll();
    }

    /**
     * As DbCore::getRow: always appends ` LIMIT 1` (a query with its own LIMIT is then an SQL error,
     * on MySQL as here).
     *
     * @return array<string, mixed>|false
     */
    public function getRow($sql, $use_cache = true)
    {
        $sql = rtrim((string) $sql, " \t\n\r\0\x0B;") . ' LIMIT 1';
        $rows = $this->executeS($sql);

        return is_array($rows) && $rows !== [] ? $rows[0] : false;
    }

    public function getValue($sql, $use_cache = true)
    {
        $row = $this->getRow($sql, $use_cache);

        return is_array($row) ? reset($row) : false;
    }

    public function Insert_ID()
    {
        return (int) $this->pdo->lastInsertId();
    }

    public function Affected_Rows()
    {
        return $this->affectedRows;
    }

    public function getMsgError()
    {
        return $this->lastError;
    }

    public function escape($string, $html_ok = false, $bq_sql = false)
    {
        if (is_numeric($string)) {
            return $string;
        }
        $string = str_replace("'", "''", (string) $string);
        if (!$html_ok) {
            $string = strip_tags(Tools::nl2br($string));
        }
        if ($bq_sql === true) {
            $string = str_replace('`', '\`', $string);
        }

        return $string;
    }

    /** @standin raw rows of a table */
    public function rows(string $table): array
    {
        return $this->executeS('SELECT * FROM `' . _DB_PREFIX_ . $table . '` ORDER BY 1');
    }

    /** @standin */
    private static function translate(string $sql): string
    {
        if (stripos($sql, 'CREATE TABLE') === false) {
            return $sql;
        }
        $sql = preg_replace('/(`\w+`)\s+INT UNSIGNED NOT NULL AUTO_INCREMENT/i', '$1 INTEGER PRIMARY KEY AUTOINCREMENT', $sql);
        $sql = preg_replace('/,\s*PRIMARY KEY\s*\([^)]*\)/i', '', $sql);
        $sql = preg_replace('/,\s*UNIQUE KEY\s*`\w+`\s*(\([^)]*\))/i', ', UNIQUE $1', $sql);
        $sql = preg_replace('/,\s*KEY\s*`\w+`\s*\([^)]*\)/i', '', $sql);
        $sql = preg_replace('/\)\s*ENGINE=\w+.*$/is', ')', $sql);

        return $sql;
    }
}

/** What Db::getInstance() returns: PrestaShop's is a DbPDO (or DbMySQLi) extending Db. */
final class StubSqliteDb extends Db
{
}

function pSQL($string, $htmlOK = false)
{
    return Db::getInstance()->escape($string, $htmlOK);
}

function bqSQL($string)
{
    return str_replace('`', '\`', pSQL($string));
}
