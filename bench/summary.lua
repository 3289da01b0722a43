-- Shared by the bench scripts: one machine-readable summary line per wrk run.
function summary_line(summary, latency)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "non2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout))
end
