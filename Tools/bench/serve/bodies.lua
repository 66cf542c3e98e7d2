-- wrk script for Tools/bench/serve_bench.sh: POSTs the JSON bodies of a file (one per line) to /v1/embeddings,
-- round robin (each wrk thread starts at a different line), and prints one JSON line with the results.
-- Usage: wrk ... -s Tools/bench/serve/bodies.lua -- BODIES_FILE [PATH]
--        wrk ... -s Tools/bench/serve/bodies.lua -- - PATH      (GET PATH, no body: e.g. /health)
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1] or error("bodies.lua: pass the bodies file after --")
  path = args[2] or "/v1/embeddings"
  bodies = {}
  statuses = {}
  if file == "-" then
    wrk.method = "GET"
    bodies[1] = nil
    get_only = true
    return
  end
  for line in io.lines(file) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  if #bodies == 0 then error("bodies.lua: no bodies in " .. file) end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local key = os.getenv("BENCH_API_KEY")
  if key and #key > 0 then wrk.headers["Authorization"] = "Bearer " .. key end
  i = (id * 7919) % #bodies
end

function request()
  if get_only then return wrk.format("GET", path) end
  i = i % #bodies + 1
  return wrk.format(nil, path, nil, bodies[i])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end end
  end
  local parts = {}
  for k, v in pairs(merged) do parts[#parts + 1] = string.format('"%d": %d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.6f, "rps": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, ' ..
    '"mean_ms": %.3f, "max_ms": %.3f, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.mean / 1e3, latency.max / 1e3, e.connect, e.read, e.write, e.timeout, e.status, table.concat(parts, ", ")))
end
