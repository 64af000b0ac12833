-- One wrk script for every workload (run from the repository root; wrk -t1 is what bench.run uses).
--
--   wrk -t1 ... URL -s bench/lua/bench.lua -- key=value ...   (one thread: each thread would read the whole pool)
--     method=GET|POST             request method (default GET)
--     h=Name: value               a request header (repeatable)
--     body=...                    a static body (form-encoded unless a Content-Type header says otherwise)
--     pool=FILE template=...@@... one request per line of FILE, "@@" in the template replaced by the line:
--                                 each code or refresh token is sent exactly once, in file order
--     poolheader=NAME             with pool: the substituted line goes into header NAME (a DPoP proof) instead
--                                 of the body (POST) or the path (GET)
--     chain=FIELD                 with pool: a 2xx response's JSON FIELD (e.g. refresh_token, which rotates)
--                                 is appended to the pool, so a refresh chain keeps going
--     expect=200,401              the statuses the workload should answer; others are sampled
--
-- done() prints one line "BENCHJSON {...}" with requests, duration, latency percentiles, the status tally,
-- up to 5 samples of unexpected responses and whether a pool ran dry.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

statuses, samples, exhausted, pool_size = {}, {}, 0, 0
local expected, pool, head, tail, template, chain, poolheader = {}, nil, 1, 0, nil, nil, nil

local function substitute(value)
  local i = string.find(template, "@@", 1, true)
  return string.sub(template, 1, i - 1) .. value .. string.sub(template, i + 2)
end

local function pool_request()
  local item = pool[head]
  if item == nil then
    exhausted = exhausted + 1
    item = "exhausted"
  else
    pool[head] = nil
    head = head + 1
  end
  if poolheader then
    wrk.headers[poolheader] = substitute(item)
    return wrk.format(nil, nil, nil, nil)
  end
  if wrk.method == "GET" then
    return wrk.format(nil, substitute(item), nil, nil)
  end
  return wrk.format(nil, nil, nil, substitute(item))
end

local function tally(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if not expected[status] and #samples < 5 then
    table.insert(samples, key .. " " .. string.sub(body or "", 1, 240))
  end
  if chain and status < 300 and body then
    local value = string.match(body, '"' .. chain .. '"%s*:%s*"([^"]+)"')
    if value then
      tail = tail + 1  -- not #pool: the consumed head of the table is nil, so its length is undefined
      pool[tail] = value
    end
  end
end

function init(args)
  local lines_file
  for _, arg in ipairs(args) do
    local key, value = string.match(arg, "^([%w_]+)=(.*)$")
    if key == "method" then
      wrk.method = value
    elseif key == "h" then
      local name, v = string.match(value, "^([^:]+):%s*(.*)$")
      wrk.headers[name] = v
    elseif key == "body" then
      wrk.body = value
    elseif key == "pool" then
      lines_file = value
    elseif key == "template" then
      template = value
    elseif key == "poolheader" then
      poolheader = value
    elseif key == "chain" then
      chain = value
    elseif key == "expect" then
      for s in string.gmatch(value, "%d+") do expected[tonumber(s)] = true end
    end
  end
  if wrk.body and not wrk.headers["Content-Type"] then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  if lines_file then
    if wrk.method ~= "GET" and not poolheader and not wrk.headers["Content-Type"] then
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    pool = {}
    for line in io.lines(lines_file) do
      if #line > 0 then pool[#pool + 1] = line end
    end
    pool_size = #pool
    tail = #pool
    request = pool_request
  end
  response = tally
end

local function json(value)
  local t = type(value)
  if t == "table" then
    local parts, is_array = {}, #value > 0 or next(value) == nil
    if is_array then
      for _, v in ipairs(value) do parts[#parts + 1] = json(v) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, v in pairs(value) do parts[#parts + 1] = json(tostring(k)) .. ":" .. json(v) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "string" then
    return '"' .. string.gsub(value, '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
    end) .. '"'
  elseif t == "number" then
    return string.format("%.17g", value)
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local all_statuses, all_samples, dry, size = {}, {}, 0, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses") or {}) do all_statuses[k] = (all_statuses[k] or 0) + v end
    for _, s in ipairs(thread:get("samples") or {}) do
      if #all_samples < 5 then all_samples[#all_samples + 1] = s end
    end
    dry = dry + (thread:get("exhausted") or 0)
    size = size + (thread:get("pool_size") or 0)
  end
  io.write("BENCHJSON ", json({
    requests = summary.requests, duration_us = summary.duration, bytes = summary.bytes,
    errors = summary.errors, statuses = all_statuses, samples = all_samples,
    pool_exhausted = dry, pool_size = size,
    latency_us = { p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
                   mean = latency.mean, max = latency.max },
  }), "\n")
end
