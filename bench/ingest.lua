-- wrk script: product webhooks with a unique event_id per request (thread id + counter).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
  key = os.getenv("HUB_BENCH_KEY") or "bench-source-key-0123456789"
  run = os.getenv("HUB_BENCH_RUN") or tostring(os.time())
end

function request()
  counter = counter + 1
  local id = string.format("bench-%s-%d-%d", run, thread_id, counter)
  local sku = string.format("BENCH-%d", counter % 500)
  local body = string.format(
    '{"event_id":"%s","occurred_at":"2026-11-27T10:00:00.%06dZ","product":{"id":%d,"reference":"%s","name":"Bench","price":"10.00","quantity":%d,"active":true,"updated_at":"2026-11-27T09:59:58Z"}}',
    id, counter % 1000000, counter % 500 + 1, sku, counter % 300)
  return wrk.format("POST", "/api/sync/product", {["Content-Type"] = "application/json", ["X-API-KEY"] = key}, body)
end

function response(status, headers, body)
  if status ~= 202 then
    errors_seen = (errors_seen or 0) + 1
  end
end
