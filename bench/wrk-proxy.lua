-- wrk script for a forward proxy: absolute-form request lines, GET http://<origin>/small/fNNNN HTTP/1.1,
-- with Host naming the origin (ota-proxy refuses a Host that differs from the request-line authority).
-- Usage: wrk ... -s bench/wrk-proxy.lua http://127.0.0.1:<proxy>/ -- <origin host:port> <file count>
-- Each thread cycles through every file from its own starting point; requests are built once in init.

local requests = {}
local count = 0
local index = 0
local threads_made = 0

-- runs in the main Lua state once per thread, before init: give each thread its own starting file
function setup(thread)
   thread:set("start_offset", threads_made * 397)
   threads_made = threads_made + 1
end

function init(args)
   local origin = args[1]
   count = tonumber(args[2])
   for i = 0, count - 1 do
      local path = string.format("http://%s/small/f%04d", origin, i)
      requests[i] = wrk.format("GET", path, { ["Host"] = origin })
   end
   -- threads start at different files, so they do not walk the set in lockstep
   index = (start_offset or 0) % count
end

function request()
   local r = requests[index]
   index = (index + 1) % count
   return r
end
