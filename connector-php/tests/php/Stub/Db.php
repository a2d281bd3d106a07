<?php

/**
 * Db stand-in that runs the module's SQL for real, on an in-memory SQLite database, after turning the
 * few MySQL-only DDL idioms into SQLite ones. Escaping follows PrestaShop's Db::escape: without
 * $html_ok anything that looks like a tag, and line breaks, are stripped.
 */

declare(strict_types=1);

class Db
{
    private static ?Db $instance = null;

    private PDO $pdo;
    private int $affectedRows = 0;
    private string $lastError = '';

    /** @var list<string> every statement run, for assertions */
    public array $log = [];

    private function __construct()
    {
        $this->pdo = new PDO('sqlite::memory:');
        $this->pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_SILENT);
        $this->pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_ASSOC);
        $this->pdo->setAttribute(PDO::ATTR_STRINGIFY_FETCHES, true);
    }

    public static function getInstance($master = true): self
    {
        return self::$instance ??= new self();
    }

    /** Test helper: a fresh, empty database. */
    public static function resetInstance(): void
    {
        self::$instance = new self();
    }

    public function execute($sql, $use_cache = true): bool
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
     * @return array<string, mixed>|false
     */
    public function getRow($sql, $use_cache = true)
    {
        $sql = (string) $sql;
        if (stripos($sql, ' LIMIT ') === false) {
            $sql .= ' LIMIT 1';
        }
        $rows = $this->executeS($sql);

        return is_array($rows) && $rows !== [] ? $rows[0] : false;
    }

    public function getValue($sql, $use_cache = true)
    {
        $row = $this->getRow($sql, $use_cache);

        return is_array($row) ? reset($row) : false;
    }

    public function Insert_ID(): int
    {
        return (int) $this->pdo->lastInsertId();
    }

    public function Affected_Rows(): int
    {
        return $this->affectedRows;
    }

    public function getMsgError(): string
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

    /** Test helper: raw rows of a table. */
    public function rows(string $table): array
    {
        return $this->executeS('SELECT * FROM `' . _DB_PREFIX_ . $table . '` ORDER BY 1');
    }

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

function pSQL($string, $htmlOK = false)
{
    return Db::getInstance()->escape($string, $htmlOK);
}

function bqSQL($string)
{
    return str_replace('`', '\`', pSQL($string));
}
