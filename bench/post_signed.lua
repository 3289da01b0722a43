-- wrk script: POST pre-signed Stripe webhook deliveries ("<Stripe-Signature>\t<body>" per line)
-- to the webhook URL. Threads take disjoint slices; with one line, every request repeats it.
-- args: deliveries_file nthreads
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")

local next_id = 1
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  local nthreads, i = tonumber(args[2]), 0
  items = {}
  for line in io.lines(args[1]) do
    if i % nthreads == thread_id - 1 or nthreads == 0 then
      local signature, body = line:match("^(.-)\t(.*)$")
      items[#items + 1] = { signature, body }
    end
    i = i + 1
  end
  if #items == 0 then items = { { "t=0,v1=0", "{}" } } end
  index = 0
end

function request()
  index = index + 1
  if index > #items then index = 1 end
  local item = items[index]
  return wrk.format("POST", nil, { ["Stripe-Signature"] = item[1], ["Content-Type"] = "application/json" }, item[2])
end

function done(summary, latency, requests)
  summary_line(summary, latency)
end
