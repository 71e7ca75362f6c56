-- wrk script for tests/soak/run: rotates over the soak pages, stops each thread after its share of
-- requests, checks bodies, and prints per-page status counts ("soak-count <uri> <status> <n>"),
-- body problems ("soak-bad <uri> <n>") and a summary line.
-- Arguments (after --): total requests, number of threads, a directory. wrk's main thread sleeps for
-- the whole -d duration even when every thread has stopped, so a thread that is done writes
-- <dir>/wrk-done-<id> and tests/soak/run sends wrk SIGINT once all threads are done (wrk then prints
-- its results with the real elapsed time).
local pages = {
  -- path, method, weight (entries per rotation)
  { "/normal.php", "GET", 8 },
  { "/large.php", "GET", 2 },
  { "/upload.php", "POST", 2 },
  { "/fatal.php", "GET", 1 },
  { "/memlimit.php", "GET", 1 },
  { "/exit_dtor.php", "GET", 1 },
  { "/exception.php", "GET", 1 },
}
local LARGE = 1048576

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local reqs, idx, n, limit, donefile, finished = {}, 0, 0, 0, nil, false
counts, bad = {}, {}

function init(args)
  local total = tonumber(args[1]) or 0
  local nthreads = tonumber(args[2]) or 1
  limit = math.ceil(total / nthreads)
  if args[3] then donefile = args[3] .. "/wrk-done-" .. tostring(id or 1) end
  local boundary = "----soakboundary7d1f"
  local file = string.rep("0123456789abcdef", 16384)   -- 256 KiB
  local body = "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"name\"\r\n\r\nsoak\r\n" ..
    "--" .. boundary .. "\r\n" ..
    "Content-Disposition: form-data; name=\"f\"; filename=\"soak.bin\"\r\n" ..
    "Content-Type: application/octet-stream\r\n\r\n" .. file .. "\r\n" ..
    "--" .. boundary .. "--\r\n"
  -- a different rotation start per thread so both threads do not hit the same page together
  local list = {}
  for _, p in ipairs(pages) do
    for i = 1, p[3] do
      local r
      if p[2] == "POST" then
        r = wrk.format("POST", p[1], { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body)
      else
        r = wrk.format("GET", p[1] .. "?s=" .. i)
      end
      table.insert(list, r)
    end
  end
  -- interleave: spread the heavy and failing pages over the rotation
  local order = { 1, 9, 2, 11, 3, 13, 4, 10, 5, 14, 6, 12, 7, 15, 8, 16 }
  for _, k in ipairs(order) do
    if list[k] then table.insert(reqs, list[k]) end
  end
  for k = #order + 1, #list do table.insert(reqs, list[k]) end
  idx = ((id or 1) - 1) * 5
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function response(status, headers, body)
  local uri = headers["X-Soak-Uri"] or "?"
  local key = uri .. " " .. status
  counts[key] = (counts[key] or 0) + 1
  if status == 200 then
    if uri == "/large.php" and #body ~= LARGE then
      bad[uri] = (bad[uri] or 0) + 1
    elseif uri == "/upload.php" and body:sub(1, 9) ~= "upload ok" then
      bad[uri] = (bad[uri] or 0) + 1
    elseif uri == "/normal.php" and body:sub(1, 9) ~= "normal ok" then
      bad[uri] = (bad[uri] or 0) + 1
    end
  end
  n = n + 1
  if limit > 0 and n >= limit and not finished then
    finished = true
    if donefile then
      local f = io.open(donefile, "w")
      if f then f:write(n, "\n"); f:close() end
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total = {}
  local totalbad = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts") or {}
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
    local b = t:get("bad") or {}
    for k, v in pairs(b) do totalbad[k] = (totalbad[k] or 0) + v end
  end
  for k, v in pairs(total) do
    local uri, status = k:match("^(%S+) (%d+)$")
    io.write(string.format("soak-count %s %s %d\n", uri, status, v))
  end
  for k, v in pairs(totalbad) do
    io.write(string.format("soak-bad %s %d\n", k, v))
  end
  local e = summary.errors
  io.write(string.format("soak-summary requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
