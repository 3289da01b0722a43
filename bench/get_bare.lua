-- wrk script: GET the bare endpoint.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "summary.lua")

function done(summary, latency, requests)
  summary_line(summary, latency)
end
