-- wrk script for tools/bench: one endpoint per run, requests spread over keys,
-- and a machine-readable summary line at the end.
--
-- Settings come from the environment (tools/benchmark/wrk.py sets them):
--   BENCH_MODE       get | write | delete
--   BENCH_PATH       path for get (default /)
--   BENCH_KEYSPACE   write: keys cycle over this many names
--   BENCH_KEY_PREFIX key names start with this
--   BENCH_KEY_OFFSET delete: first seeded key index of this run
--   BENCH_VALUE_BYTES write: value length
--   BENCH_TOKEN      bearer token for write and delete (optional)
--   BENCH_THREADS    wrk's -t (delete: how the key range is interleaved)

local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/"
local keyspace = tonumber(os.getenv("BENCH_KEYSPACE") or "10000")
local prefix = os.getenv("BENCH_KEY_PREFIX") or "bench-"
local offset = tonumber(os.getenv("BENCH_KEY_OFFSET") or "0")
local value = string.rep("v", tonumber(os.getenv("BENCH_VALUE_BYTES") or "64"))
local token = os.getenv("BENCH_TOKEN")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local created = 0

function setup(thread)
  thread:set("id", created)
  created = created + 1
end

function init(args)
  id = id or 0
  sent = 0
  headers = {}
  if token and token ~= "" and mode ~= "get" then
    headers["Authorization"] = "Bearer " .. token
  end
  if mode == "write" then
    headers["Content-Type"] = "application/json"
  end
end

function request()
  sent = sent + 1
  if mode == "write" then
    -- Threads start at different points and stride through the key space,
    -- so concurrent writes hit different keys.
    local key = prefix .. ((id * 7919 + sent * 31) % keyspace)
    local body = '{"key":"' .. key .. '","value":"' .. value .. '"}'
    return wrk.format("POST", "/write", headers, body)
  elseif mode == "delete" then
    -- Each request deletes a different seeded key: thread i takes i, i+n, ...
    local key = prefix .. (offset + (sent - 1) * nthreads + id)
    return wrk.format("DELETE", "/delete?key=" .. key, headers)
  end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99)))
end
