-- The ORM insert ceiling: an empty POST.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

wrk.method = "POST"
