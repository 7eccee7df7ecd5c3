-- wrk script for bench/api-auth.sh. See bench/README.md.
--
--   wrk ... -s bench/api_auth.lua URL               plain GETs (headers from -H)
--   WRK_FORM=BODY wrk ... -s bench/api_auth.lua URL  POSTs of the form BODY (headers from -H)
--   WRK_TOKENS=FILE wrk ... -s bench/api_auth.lua URL
--                                                   one `Authorization: Bearer <token>` per
--                                                   request, round-robin over FILE (one token
--                                                   a line), status codes counted
--   WRK_TOKENS=FILE WRK_FORM=1 wrk ... URL            POSTs of `token=<token>`, round-robin
--                                                   over FILE (introspection; Basic from -H)
--   WRK_TIMELINE=1 (with WRK_TOKENS)                 also responses per second of wall time
--
-- Either way it ends with one line `WRKJSON {...}` for bench/api_auth.py: requests,
-- duration, socket errors, non-2xx/3xx count, latency percentiles in microseconds and,
-- with WRK_TOKENS, the count of each status code.
--
-- The mode is chosen when the script loads (an environment variable, since wrk decides
-- from the loaded script whether it calls Lua for every request and every response).
-- The plain mode, used for the measured throughput, defines neither `request()` nor
-- `response()`, so wrk sends one pre-built request and never hands a response to Lua:
-- no Lua cost on the load generator, which shares the cores with the server.

local threads = {}

-- WRK_FORM=BODY: every request is a POST of this urlencoded form (the introspection
-- runs); still built once, so the plain mode's cost stays nil.
local form = os.getenv("WRK_FORM")
if form and #form > 0 then
  wrk.method = "POST"
  wrk.body = form
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local tokens_file = os.getenv("WRK_TOKENS")
if tokens_file and #tokens_file > 0 then
  function init(args)
    local file = assert(io.open(tokens_file, "r"), "cannot open " .. tokens_file)
    pool = {}
    for line in file:lines() do
      if #line > 0 then
        if form and #form > 0 then
          -- Introspection of each token: POST token=<token>, the client's Basic header from -H.
          table.insert(pool, wrk.format("POST", nil, nil, "token=" .. line))
        else
          table.insert(pool, wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. line }))
        end
      end
    end
    file:close()
    assert(#pool > 0, "no tokens in " .. tokens_file)
    -- Each thread starts elsewhere in the list.
    next_index = (id * 97) % #pool
    counts = {}
    seconds = {}
  end

  function request()
    next_index = next_index % #pool + 1
    return pool[next_index]
  end

  -- WRK_TIMELINE=1: also responses per second of wall time (os.time), for the
  -- cold-start runs that watch throughput climb.
  local timeline = os.getenv("WRK_TIMELINE") == "1"
  function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
    if timeline then
      local second = os.time()
      seconds[second] = (seconds[second] or 0) + 1
    end
  end
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    if c then
      for status, n in pairs(c) do
        codes[tostring(status)] = (codes[tostring(status)] or 0) + n
      end
    end
  end
  local per_second = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("seconds")
    if c then
      for second, n in pairs(c) do
        per_second[second] = (per_second[second] or 0) + n
      end
    end
  end
  local timeline = {}
  for second, n in pairs(per_second) do
    table.insert(timeline, string.format('"%d":%d', second, n))
  end
  local parts = {}
  for status, n in pairs(codes) do
    table.insert(parts, string.format('"%s":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"non_2xx_3xx":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"mean_us":%.1f,"codes":{%s},"per_second":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, table.concat(parts, ","), table.concat(timeline, ",")))
end
