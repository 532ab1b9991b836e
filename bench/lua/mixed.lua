-- The widget's traffic for the memory soak: config requests and answers, one
-- of each in turn. Arguments: the tokens file, the page's origin, a run tag,
-- the number of respondents, the config path.
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
  people = tonumber(args[4])
  config_path = args[5]
  counter = 0
end

function request()
  counter = counter + 1
  if counter % 2 == 0 then
    local body = string.format(
      '{"anonymous_id":"anon%016d","trigger":"auto","language":"en"}',
      (counter * 7919 + tid) % people + 1)
    return wrk.format(nil, config_path, nil, body)
  end
  local token = tokens[(counter * 7919 + tid * 104729) % #tokens + 1]
  local body = string.format('{"token":"%s","id":"%s%014d","score":%d,"language":"en"}',
    token, prefix, counter, counter % 11)
  return wrk.format(nil, nil, nil, body)
end
