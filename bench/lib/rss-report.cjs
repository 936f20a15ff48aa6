// Preloaded into a CLI process by the benchmarks (`node --require bench/lib/rss-report.cjs
// bin/run.js ...`): at exit, writes the process's peak RSS (worker threads included) and its CPU
// time (all threads) to stderr, so the real CLI — bin/run.js, as shipped — is what is measured.
process.on('exit', () => {
  const ru = process.resourceUsage()
  process.stderr.write(`\nRSS_KB=${ru.maxRSS} CPU_MS=${((ru.userCPUTime + ru.systemCPUTime) / 1000).toFixed(0)}\n`)
})
