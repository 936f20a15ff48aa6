/**
 * A monotonic clock in milliseconds for the timings reports carry (parse, flatten, data flow).
 * `performance.now()` would do the same, but the first touch of the global `performance` makes
 * Node load its perf_hooks stack (nine modules, ~12 M instructions): a tenth of the fixed cost
 * above `node -e 0` of scanning a small model. process.hrtime is part of the process object.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}
