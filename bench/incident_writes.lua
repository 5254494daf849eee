-- wrk script for the incident surge: signed-in members press "I'm affected" (each
-- member once) and then post new topics. Reads "cookie<TAB>csrf" lines from the file
-- named by the WRK_MEMBERS environment variable. Counts accepted writes (redirects to
-- the incident page or to the new topic) per kind and prints them as JSON in done(), so the driver can check the
-- database afterwards.
--   wrk -t2 -c4 -d20s -s bench/incident_writes.lua http://127.0.0.1:PORT -- <incident id> <category slug>

local members = {}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

function init(args)
  incident = args[1]
  category = args[2]
  for line in io.lines(os.getenv("WRK_MEMBERS")) do
    local cookie, csrf = line:match("([^\t]+)\t([^\t]+)")
    table.insert(members, {cookie = cookie, csrf = csrf})
  end
  n_threads = tonumber(os.getenv("WRK_THREADS") or "1")
  next_member = thread_no          -- this thread presses for members thread_no, thread_no + n_threads, ...
  sent_affected, ok_affected, sent_topic, ok_topic, other = 0, 0, 0, 0, 0
  seq = 0
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  seq = seq + 1
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if next_member <= #members then
    local m = members[next_member]
    next_member = next_member + n_threads
    headers["Cookie"] = m.cookie
    sent_affected = sent_affected + 1
    return wrk.format("POST", "/status/" .. incident .. "/affected", headers,
      "csrf_token=" .. urlencode(m.csrf) .. "&area=scotland")
  end
  local m = members[(seq % #members) + 1]
  headers["Cookie"] = m.cookie
  sent_topic = sent_topic + 1
  local title = "Surge topic " .. thread_no .. "-" .. seq .. " no signal"
  return wrk.format("POST", "/c/" .. category .. "/new", headers,
    "csrf_token=" .. urlencode(m.csrf) .. "&title=" .. urlencode(title) .. "&body=" .. urlencode("No service since this morning."))
end

function response(status, headers, body)
  -- Classify by where the redirect goes: the incident page after a press, the new
  -- topic after a post; anything else (a login redirect, an error) is not accepted.
  local location = headers["Location"] or headers["location"] or ""
  if (status == 302 or status == 303) and location:find("/status/" .. incident, 1, true) then
    ok_affected = ok_affected + 1
  elseif (status == 302 or status == 303) and location:find("/t/", 1, true) then
    ok_topic = ok_topic + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, t, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("ok_affected")
    t = t + thread:get("ok_topic")
    o = o + thread:get("other")
  end
  io.write(string.format('WRITES {"affected_ok": %d, "topics_ok": %d, "other": %d}\n', a, t, o))
end
