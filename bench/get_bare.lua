-- wrk script: GET the bare endpoint; prints the same summary line as post_pairs.lua.
function done(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "non2xx": %d, "errors": %d, "per_thread": 0}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
