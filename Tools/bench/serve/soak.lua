-- wrk script for Tools/bench/serve_soak.sh: a mix of good and malformed /v1/embeddings requests, and a check of
-- every 200 answer against the answer recorded (and verified against `vlmembed embed`) before the soak.
-- Usage: wrk ... -s Tools/bench/serve/soak.lua -- MIX_FILE EXPECTED_FILE
--   MIX_FILE       one request body per line (good bodies carry "model":"soak-gK", K = line of EXPECTED_FILE)
--   EXPECTED_FILE  line K: the exact response body of good body soak-gK
-- Prints one JSON line: requests, latency, transport errors, answers by status, correct and wrong 200s.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  expected = {}
  local k = 0
  for line in io.lines(args[2]) do
    expected[tostring(k)] = line
    k = k + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  math.randomseed(1000 + id)
  statuses = {}
  correct = 0
  wrong = 0
  wrong_sample = ""
end

function request()
  return wrk.format(nil, "/v1/embeddings", nil, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    local k = body:match('"model":"soak%-g(%d+)"')
    if k and expected[k] == body then
      correct = correct + 1
    else
      wrong = wrong + 1
      if #wrong_sample == 0 then wrong_sample = string.sub(body, 1, 300) end
    end
  end
end

function done(summary, latency, requests)
  local merged, ok, bad, sample = {}, 0, 0, ""
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end end
    ok = ok + (t:get("correct") or 0)
    bad = bad + (t:get("wrong") or 0)
    local w = t:get("wrong_sample")
    if w and #w > 0 and #sample == 0 then sample = w end
  end
  local parts = {}
  for k, v in pairs(merged) do parts[#parts + 1] = string.format('"%d": %d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, "statuses": {%s}, ' ..
    '"correct_200": %d, "wrong_200": %d, "wrong_sample": "%s"}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.connect, e.read, e.write, e.timeout, e.status, table.concat(parts, ", "), ok, bad,
    sample:gsub('[%c"\\]', "?")))
end
