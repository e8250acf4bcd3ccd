-- POST /v1/orders: every request a fresh order of 1-3 lines (distinct SKUs, 1-3 of
-- each) over the catalogue's SKUs, with the API key and a fresh Idempotency-Key.
-- Arguments (after --): api_key sku_first sku_last run_nonce [path, /v1/orders if none]
dofile("lua/common.lua")  -- wrk runs in bench/
local first_names = {"Anna", "Bram", "Chloé", "Daan", "Emma", "Fatima", "Gijs", "Hanna",
                     "Jörg", "Lotte", "Noah", "Óscar", "Rosa", "Søren", "Yara", "Zoë"}
local last_names = {"de Vries", "Jansen", "Müller", "Bakker", "Dubois", "García", "Rossi",
                    "Nowak", "O'Brien", "van den Berg", "Schäfer", "Nguyen"}
local cities = {{"Amsterdam", "NL"}, {"Utrecht", "NL"}, {"Antwerpen", "BE"},
                {"Berlin", "DE"}, {"Köln", "DE"}, {"Paris", "FR"}, {"Madrid", "ES"}}
local methods = {"card", "card", "paypal", "bank_transfer"}
local shipping = {"standard", "standard", "express", "pickup"}

local headers, sku_first, sku_last, nonce, path
used = 0

function init(args)
   headers = {["Authorization"] = "Bearer " .. args[1],
              ["Content-Type"] = "application/json"}
   sku_first, sku_last, nonce = tonumber(args[2]), tonumber(args[3]), args[4]
   path = args[5] or "/v1/orders"
   math.randomseed(os.time() * 100 + thread_number)
end

local function pick(list) return list[math.random(#list)] end

function request()
   used = used + 1
   local count = math.random(3)
   local chosen, lines = {}, {}
   while #lines < count do
      local sku = math.random(sku_first, sku_last)
      if not chosen[sku] then
         chosen[sku] = true
         lines[#lines + 1] = string.format('{"sku":"%d","quantity":%d}', sku, math.random(3))
      end
   end
   local first, last = pick(first_names), pick(last_names)
   local name = first .. " " .. last
   local city = pick(cities)
   local address = string.format(
      '{"name":"%s","line1":"Keizersgracht %d","city":"%s","postal_code":"%d AB",' ..
      '"country":"%s"}', name, math.random(1, 400), city[1], math.random(1000, 9999), city[2])
   local body = string.format(
      '{"customer":{"name":"%s","email":"buyer%d.%d@example.com","phone":"+31 6 %d"},' ..
      '"lines":[%s],"shipping_address":%s,"billing_address":%s,' ..
      '"payment_method":"%s","shipping_method":"%s"}',
      name, thread_number, used, math.random(10000000, 99999999),
      table.concat(lines, ","), address, address, pick(methods), pick(shipping))
   headers["Idempotency-Key"] = string.format("%s-%d-%d", nonce, thread_number, used)
   return wrk.format("POST", path, headers, body)
end
