-- POST /v1/orders/{id}/{pay|ship|cancel}: each order of the id file once. Thread k of n
-- takes lines k, k+n, k+2n ... of the file. An exhausted slice sends requests for an
-- order that does not exist (404s, counted as errors, and reported as "exhausted").
-- Arguments (after --): api_key action ids_file threads run_nonce
dofile("lua/common.lua")  -- wrk runs in bench/
local headers, action, ids, body_format, nonce
local next_index = 1
used = 0
exhausted = 0

local bodies = {
   pay = '{"payment_reference":"PAY-%s-%d-%d"}',
   ship = '{"tracking_number":"3S%s%d%d"}',
   cancel = '{"reason":"customer asked (%s %d %d)"}',
}

function init(args)
   headers = {["Authorization"] = "Bearer " .. args[1],
              ["Content-Type"] = "application/json"}
   action = args[2]
   body_format = bodies[action]
   local threads = tonumber(args[4])
   nonce = args[5]
   ids = {}
   local line_number = 0
   for line in io.lines(args[3]) do
      line_number = line_number + 1
      if (line_number - 1) % threads == thread_number - 1 then
         ids[#ids + 1] = line
      end
   end
end

function request()
   local id = ids[next_index]
   if id == nil then
      exhausted = exhausted + 1
      id = "00000000-0000-4000-8000-000000000000"
   else
      next_index = next_index + 1
      used = used + 1
   end
   local sent = used + exhausted
   headers["Idempotency-Key"] = string.format("%s-%s-%d-%d", nonce, action, thread_number, sent)
   local body = string.format(body_format, nonce, thread_number, sent)
   return wrk.format("POST", "/v1/orders/" .. id .. "/" .. action, headers, body)
end
