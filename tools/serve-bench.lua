-- wrk script: POST /v1/predict with one PNG (README "Serving", the benchmark):
--   wrk -t 2 -c 8 -d 10s --latency -s tools/serve-bench.lua http://127.0.0.1:8080 -- FILE.png
local body
function init(args)
  local file = assert(io.open(args[1], "rb"), "give a PNG file after --")
  body = file:read("*a")
  file:close()
end
function request()
  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "image/png"}, body)
end
function response(status, headers, response_body)
  if status ~= 200 then error("status " .. status .. ": " .. response_body) end
end
