-- A popular-query workload: the requests of a file (method, path, body separated by tabs, one a
-- line, most popular first), each drawn with a Zipf weight 1 / rank^s, from a fixed seed.
local requests = {}
local cumulative = {}

init = function(args)
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "18"))
  local s = tonumber(os.getenv("BENCH_ZIPF_S") or "1.0")
  local bearer = os.getenv("BENCH_BEARER") or ""
  local total = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if bearer ~= "" then
      headers["Authorization"] = "Bearer " .. bearer
    end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
    total = total + 1 / ((#requests) ^ s)
    cumulative[#requests] = total
  end
  for i = 1, #cumulative do
    cumulative[i] = cumulative[i] / total
  end
end

request = function()
  local r = math.random()
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < r then
      low = middle + 1
    else
      high = middle
    end
  end
  return requests[low]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d}, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
