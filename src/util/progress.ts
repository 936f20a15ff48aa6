/**
 * A progress line on stderr, drawn only when stderr is a terminal (quiet when piped, in CI and
 * under --json). Throttled so that progress never costs measurable time on the hot path.
 */
export interface Progress {
  /** Total units (bytes, files) once known; may be raised later. */
  setTotal(total: number): void
  advance(units: number): void
  done(): void
}

const NOOP: Progress = {setTotal() {}, advance() {}, done() {}}

export function createProgress(label: string, opts: {unit?: 'bytes' | 'files'; enabled?: boolean} = {}): Progress {
  const enabled = opts.enabled ?? (process.stderr.isTTY === true && !process.env.CI && !process.env.MODELSEAL_NO_PROGRESS)
  if (!enabled) return NOOP
  const unit = opts.unit ?? 'bytes'
  const started = Date.now()
  let total = 0
  let done = 0
  let lastDraw = 0
  const fmt = (n: number) => (unit === 'bytes' ? `${(n / 1e6).toFixed(1)} MB` : `${n} files`)
  const draw = (force = false) => {
    const now = Date.now()
    if (!force && now - lastDraw < 100) return
    lastDraw = now
    const secs = Math.max((now - started) / 1000, 0.001)
    const pct = total > 0 ? ` ${Math.min(100, (100 * done) / total).toFixed(0)}%` : ''
    const rate = unit === 'bytes' ? ` ${(done / 1e6 / secs).toFixed(0)} MB/s` : ` ${(done / secs).toFixed(0)} files/s`
    process.stderr.write(`\r\x1b[K${label}${pct} ${fmt(done)}${total ? ` / ${fmt(total)}` : ''}${rate}`)
  }
  return {
    setTotal(t) {
      total = t
    },
    advance(n) {
      done += n
      draw()
    },
    done() {
      draw(true)
      process.stderr.write('\n')
    },
  }
}
