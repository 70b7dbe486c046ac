-- wrk script for bench/run's publish-rate scenario: POSTs one ~100-byte JSON event per request
-- over wrk's keep-alive connections. BENCH_TARGET (pushy|nchan) picks the headers; Pushy's
-- publisher credentials come from BENCH_CLIENT_ID / BENCH_CLIENT_SECRET.
local target = os.getenv("BENCH_TARGET") or "pushy"

wrk.method = "POST"
wrk.body = '{"data":{"seq":0,"t":1795829584547000000,"pad":"' .. string.rep("x", 48) .. '"}}'
wrk.headers["Content-Type"] = "application/json"
if target == "pushy" then
  wrk.headers["X-Client-ID"] = os.getenv("BENCH_CLIENT_ID") or "bench-publisher"
  wrk.headers["X-Client-Secret"] = os.getenv("BENCH_CLIENT_SECRET") or "bench-publisher-secret"
end
