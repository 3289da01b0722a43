-- wrk script: POST {"quality": 4} to <prefix><task_id>/complete with the token of a creator,
-- each (token, task) pair used once. Threads take disjoint slices of the pairs file.
-- args: pairs_file nthreads path_prefix
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")

local next_id = 1
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  local file, nthreads, i = args[1], tonumber(args[2]), 0
  prefix = args[3]
  items = {}
  for line in io.lines(file) do
    if i % nthreads == thread_id - 1 then
      local token, task = line:match("(%S+) (%S+)")
      items[#items + 1] = { token, task }
    end
    i = i + 1
  end
  index = 0
end

function request()
  index = index + 1
  if index > #items then index = 1 end  -- out of fresh pairs: repeats are counted as such
  local item = items[index]
  return wrk.format("POST", prefix .. item[2] .. "/complete",
    { ["Authorization"] = "Token " .. item[1], ["Content-Type"] = "application/json" }, '{"quality": 4}')
end

function done(summary, latency, requests)
  summary_line(summary, latency)
end
