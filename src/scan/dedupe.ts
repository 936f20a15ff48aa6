/**
 * One finding per (rule, location, message) in a file: rules that reach the same node or tensor
 * along two paths (a subgraph inlined at two call sites, a tensor seen as initializer and as
 * Constant) must not report it twice, nor count it twice toward the summary.
 */
import type {FileReport, Finding} from './types.js'

export function findingKey(f: Finding): string {
  return `${f.id}\u0000${stableJson(f.location)}\u0000${f.message}`
}

export function dedupeFindings(files: FileReport[]): void {
  for (const file of files) {
    const seen = new Set<string>()
    file.findings = file.findings.filter((f) => {
      const k = findingKey(f)
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  }
}

/** JSON with object keys sorted, so equal locations give equal keys whatever their key order. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`
}
