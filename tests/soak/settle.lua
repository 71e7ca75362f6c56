-- wrk script for tests/soak/run: requests /settle.php (see www/settle.php) a fixed number of times.
-- Arguments: requests, (unused), a directory for the done file (see rotate.lua).
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local n, limit, donefile, finished = 0, 0, nil, false
pids = {}

function init(args)
  limit = tonumber(args[1]) or 32
  if args[3] then donefile = args[3] .. "/wrk-done-" .. tostring(id or 1) end
end

function request()
  return wrk.format("GET", "/settle.php")
end

function response(status, headers, body)
  local pid = body:match("^(%d+)") or "0"
  pids[pid] = (pids[pid] or 0) + 1
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
    for pid, c in pairs(t:get("pids") or {}) do
      io.write(string.format("soak-settle %s %d\n", pid, c))
    end
  end
end
