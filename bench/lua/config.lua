-- Widget config and prompt decisions as browsers ask for them: one of the
-- seeded anonymous respondents per request.
-- Arguments: the number of respondents, the page's origin.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  people = tonumber(args[1])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain"
  wrk.headers["Origin"] = args[2]
  counter = tid * 1000003
end

function request()
  counter = counter + 7919
  local body = string.format(
    '{"anonymous_id":"anon%016d","trigger":"auto","language":"en"}', counter % people + 1)
  return wrk.format(nil, nil, nil, body)
end
