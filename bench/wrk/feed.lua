-- wrk script of the bench: every request carries the next line of a file as its Cookie header (and,
-- after a tab, its X-Forwarded-For), from a given line on; answers are counted by status, and done()
-- prints one JSON line: statuses, requests sent, and every latency (µs) with its count.
-- Arguments after `--`: <file> <first line, 0-based> <cycle|once> <method>. With `once` (single-use refresh
-- tokens), requests past the end go without a cookie and are refused, never replayed.
local lines, index, cycle, method = {}, 0, true, "GET"
-- Globals, so done() can read them from each thread with thread:get.
sent, statuses = 0, {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(lines, line) end
  end
  index = tonumber(args[2]) or 0
  cycle = args[3] ~= "once"
  method = args[4] or "GET"
end

-- wrk.format does not merge the -H headers into headers it is given, so each request copies them.
local function headersWith(cookie, forwardedFor)
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Cookie"] = cookie
  headers["X-Forwarded-For"] = forwardedFor
  return headers
end

function request()
  sent = sent + 1
  local line
  if cycle then
    line = lines[(index % #lines) + 1]
  else
    line = lines[index + 1]
  end
  index = index + 1
  if not line then return wrk.format(method) end
  local tab = line:find("\t", 1, true)
  if tab then return wrk.format(method, nil, headersWith(line:sub(1, tab - 1), line:sub(tab + 1))) end
  return wrk.format(method, nil, headersWith(line, nil))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts, total = {}, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("sent")
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout
  if failed > 0 then table.insert(parts, string.format('"error":%d', failed)) end
  local hist = {}
  for i = 1, #latency do
    local us, n = latency(i)
    table.insert(hist, string.format("[%d,%d]", us, n))
  end
  io.write(string.format('WRK_RESULT {"seconds":%f,"sent":%d,"statuses":{%s},"latency":[%s]}\n',
    summary.duration / 1e6, total, table.concat(parts, ","), table.concat(hist, ",")))
end
