-- wrk script for tests/soak/run: requests /zmm-check.php concurrently (so that every worker
-- answers) and prints one line per response: "soak-check <status> <pid> <ok> <stats_ok>".
-- Arguments: requests, (unused), a directory for the done file (see rotate.lua).
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local n, limit, donefile, finished = 0, 0, nil, false
results = {}

function init(args)
  limit = tonumber(args[1]) or 32
  if args[3] then donefile = args[3] .. "/wrk-done-" .. tostring(id or 1) end
end

function request()
  return wrk.format("GET", "/zmm-check.php")
end

function response(status, headers, body)
  local pid = body:match('"pid":(%d+)') or "0"
  local ok = body:find('"ok":true', 1, true) and 1 or 0
  local sok = body:find('"stats_ok":true', 1, true) and 1 or 0
  table.insert(results, string.format("%d %s %d %d", status, pid, ok, sok))
  if ok == 0 or sok == 0 then
    local p = body:match('"problems":(%b[])') or body:sub(1, 300)
    table.insert(results, "problem " .. pid .. " " .. p)
  end
  n = n + 1
  if n >= limit and not finished then
    finished = true
    if donefile then
      local f = io.open(donefile, "w")
      if f then f:write(n, "\n"); f:close() end
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for _, line in ipairs(t:get("results") or {}) do
      io.write("soak-check " .. line .. "\n")
    end
  end
end
