-- Widget answers as browsers send them: each request a new answer (a fresh
-- client id) from one of the seeded respondents, with its signed token.
-- Arguments: the tokens file, the page's origin, a run tag.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain"
  wrk.headers["Origin"] = args[2]
  -- The clock too: the warm-up and the measured run must not reuse ids.
  prefix = string.format("%s%02d%d", args[3], tid, os.time())
  counter = 0
end

function request()
  counter = counter + 1
  local token = tokens[(counter * 7919 + tid * 104729) % #tokens + 1]
  local body = string.format('{"token":"%s","id":"%s%014d","score":%d,"language":"en"}',
    token, prefix, counter, counter % 11)
  return wrk.format(nil, nil, nil, body)
end
