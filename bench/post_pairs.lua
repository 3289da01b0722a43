-- wrk script: POST {"quality": 4} to <prefix><task_id>/complete with the token of a creator,
-- each (token, task) pair used once. Threads take disjoint slices of the pairs file.
-- args: pairs_file nthreads path_prefix
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
  io.write(string.format('BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "non2xx": %d, "errors": %d, "per_thread": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, #items))
end
