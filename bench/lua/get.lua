-- GET requests: a fixed path, or with "{id}" in it a random id of the id file each time.
-- Arguments (after --): api_key path [ids_file]
dofile("lua/common.lua")  -- wrk runs in bench/
local headers, path, ids
used = 0

function init(args)
   headers = {["Authorization"] = "Bearer " .. args[1]}
   path = args[2]
   if args[3] ~= nil then
      ids = {}
      for line in io.lines(args[3]) do ids[#ids + 1] = line end
   end
   math.randomseed(os.time() * 100 + thread_number)
end

function request()
   used = used + 1
   local target = path
   if ids ~= nil then
      target = string.gsub(path, "{id}", ids[math.random(#ids)])
   end
   return wrk.format("GET", target, headers)
end
