/** Human-readable report, grouped by file. Colour only when asked (the command enables it on a TTY). */
import {formatPath, type TriggerPath} from '../graph/evidence.js'
import {escapeName} from '../../util/escape.js'
import {SEVERITIES, type Finding, type ScanReport, type Severity} from '../types.js'

/** Skipped entries listed in the text report; --json has them all. */
const MAX_SKIPPED_SHOWN = 50

const COLORS: Record<Severity, string> = {critical: '\x1b[1;35m', high: '\x1b[1;31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[2m'}
const RESET = '\x1b[0m'

function loc(f: Finding): string {
  const l = f.location
  const parts: string[] = []
  if (l.function) parts.push(`function ${l.function}`)
  if (l.graph && l.graph !== 'main') parts.push(`graph ${l.graph}`)
  if (l.node) parts.push(`node ${l.node}`)
  if (l.tensor) parts.push(`tensor ${l.tensor}`)
  if (l.member) parts.push(`member ${l.member}`)
  if (l.byteStart !== undefined) parts.push(`bytes ${l.byteStart}-${l.byteEnd ?? '?'}`)
  else if (l.offset !== undefined) parts.push(`offset ${l.offset}`)
  return parts.join(', ')
}

export function renderText(report: ScanReport, opts: {color?: boolean; minSeverity?: Severity} = {}): string {
  const c = (s: Severity, t: string) => (opts.color ? `${COLORS[s]}${t}${RESET}` : t)
  const min = SEVERITIES.indexOf(opts.minSeverity ?? 'info')
  const lines: string[] = []
  for (const file of report.files) {
    const status = file.status === 'scanned' ? '' : ` [${file.status.toUpperCase()}]`
    lines.push(`${file.path} (${file.format})${status}`)
    if (file.error) lines.push(`  error ${file.error.code}: ${file.error.message}`)
    const shown = file.findings.filter((f) => SEVERITIES.indexOf(f.severity) >= min)
    for (const f of shown) {
      const where = loc(f)
      lines.push(`  ${c(f.severity, f.severity.toUpperCase().padEnd(8))} ${f.id} ${f.title}${where ? ` (${where})` : ''}`)
      lines.push(`           ${f.message}`)
      const path = f.evidence?.triggerPath as TriggerPath | undefined
      if (path?.steps?.length) lines.push(`           trigger path: ${formatPath(path)}`)
    }
    if (file.status === 'scanned' && file.findings.length === 0) lines.push('  no findings')
    else if (shown.length < file.findings.length) lines.push(`  (${file.findings.length - shown.length} finding(s) below ${opts.minSeverity} not shown)`)
    lines.push('')
  }
  const skipped = report.skipped ?? []
  if (skipped.length > 0) {
    lines.push(`skipped (not analysed): ${skipped.length}`)
    for (const k of skipped.slice(0, MAX_SKIPPED_SHOWN)) lines.push(`  ${escapeName(k.path)} (${k.kind}): ${k.reason}`)
    if (skipped.length > MAX_SKIPPED_SHOWN) lines.push(`  … ${skipped.length - MAX_SKIPPED_SHOWN} more (every one is in --json)`)
    lines.push('')
  }
  const s = report.summary
  const counts = SEVERITIES.slice()
    .reverse()
    .map((sev) => `${s.findings[sev]} ${sev}`)
    .join(', ')
  lines.push(`${s.files} file(s): ${s.scanned} scanned, ${s.errors} error(s), ${s.unsupported} unsupported, ${skipped.length} skipped; findings: ${counts}`)
  const verdict = s.failed
    ? `FAILED: findings at or above ${s.failOn}`
    : s.errors + s.unsupported > 0 || s.files === 0
      ? 'INCOMPLETE: some inputs could not be scanned'
      : `passed: no finding at or above ${s.failOn}`
  lines.push(verdict)
  return lines.join('\n')
}
