<?php

/**
 * A scripted stand-in for the hub, served by `php -S 127.0.0.1:<port> hub-router.php`.
 *
 * State lives in $HUB_FIXTURE_DIR: `script.json` lists the answers to successive event posts
 * (an HTTP status, or "sleep:<seconds>" to answer 202 too late); the last entry repeats. Every request
 * is appended to `requests.jsonl` with its headers, raw body and whether its X-Hub-Signature is valid
 * for $HUB_FIXTURE_SECRET within the hub's ±300 s window. A 202 answers "duplicate" for an event_id
 * already accepted, as the hub does.
 */

declare(strict_types=1);

$dir = (string) getenv('HUB_FIXTURE_DIR');
$secret = (string) getenv('HUB_FIXTURE_SECRET');
$path = (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$body = (string) file_get_contents('php://input');
$headers = function_exists('getallheaders') ? getallheaders() : [];

$signatureValid = null;
$signature = $_SERVER['HTTP_X_HUB_SIGNATURE'] ?? null;
if (is_string($signature) && preg_match('/^t=(\d+),v1=([0-9a-f]{64})$/', $signature, $m) === 1) {
    $signatureValid = abs(time() - (int) $m[1]) <= 300
        && hash_equals(hash_hmac('sha256', $m[1] . '.' . $body, $secret), $m[2]);
} elseif ($signature !== null) {
    $signatureValid = false;
}

file_put_contents($dir . '/requests.jsonl', json_encode([
    'method' => $_SERVER['REQUEST_METHOD'],
    'path' => $path,
    'headers' => $headers,
    'body' => $body,
    'signature_valid' => $signatureValid,
]) . "\n", FILE_APPEND | LOCK_EX);

header('Content-Type: application/json');

if ($_SERVER['REQUEST_METHOD'] === 'GET' && $path === '/health') {
    echo '{"status":"ok"}';

    return true;
}

if ($_SERVER['REQUEST_METHOD'] !== 'POST' || preg_match('#^/api/sync/(product|order)$#', $path) !== 1) {
    http_response_code(404);
    echo '{"error":{"code":"not_found","message":"no route"}}';

    return true;
}

$script = json_decode((string) file_get_contents($dir . '/script.json'), true);
$counterFile = $dir . '/counter';
$index = is_file($counterFile) ? (int) file_get_contents($counterFile) : 0;
file_put_contents($counterFile, (string) ($index + 1));
$answer = (string) ($script[min($index, count($script) - 1)]);

if (str_starts_with($answer, 'sleep:')) {
    usleep((int) (1e6 * (float) substr($answer, 6)));
    $answer = '202';
}
$status = (int) $answer;
http_response_code($status);

if ($status === 202) {
    $eventId = json_decode($body, true)['event_id'] ?? null;
    $acceptedFile = $dir . '/accepted.json';
    $accepted = is_file($acceptedFile) ? json_decode((string) file_get_contents($acceptedFile), true) : [];
    $duplicate = in_array($eventId, $accepted, true);
    if (!$duplicate) {
        $accepted[] = $eventId;
        file_put_contents($acceptedFile, json_encode($accepted));
    }
    echo json_encode(['event_id' => $eventId, 'status' => $duplicate ? 'duplicate' : 'queued']);
} elseif ($status === 503) {
    header('Retry-After: 1');
    echo '{"error":{"code":"unavailable","message":"queue unavailable"}}';
} else {
    echo '{"error":{"code":"error","message":"scripted ' . $status . '"}}';
}

return true;
