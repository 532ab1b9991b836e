-- GET of one URL with the headers given as arguments ("Name: value" each).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

function init(args)
  for _, header in ipairs(args) do
    local name, value = header:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
end
