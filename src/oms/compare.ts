/**
 * Compares the manifest a signature describes with the one just computed from disk, and says
 * in one line per file what differs: missing, extra (unsigned) or changed.
 */
import {parseShardName} from './resource-name.js'
import type {ResourceDescriptor, SerializationMethod} from './types.js'

/** Problem lines kept in a report; a summary line stands for the rest. */
export const MAX_PROBLEMS = 10_000

export interface CompareOptions {
  method: SerializationMethod
  /** Files on disk that the signature does not list are not an error. */
  ignoreUnsignedFiles?: boolean
  /** Shown instead of `.` for a single-file model. */
  singleFileLabel?: string
}

type Entries = Map<string, Map<string, ResourceDescriptor>>

/** Groups resources by file: files mode one entry per file, shards mode one per shard range. */
function byFile(resources: ResourceDescriptor[], method: SerializationMethod): Entries {
  // (files mode is handled without grouping in compareResources)
  const out: Entries = new Map()
  for (const r of resources) {
    let file = r.name
    let part = ''
    if (method === 'shards') {
      // Both sides were parsed already (statement) or built canonically (serialize).
      const sh = parseShardName(r.name)
      file = sh.path
      part = `${sh.start}:${sh.end}`
    }
    let m = out.get(file)
    if (!m) out.set(file, (m = new Map()))
    m.set(part, r)
  }
  return out
}

export function compareResources(expected: ResourceDescriptor[], actual: ResourceDescriptor[], opts: CompareOptions): string[] {
  // files mode: one resource per file, compared directly (no per-file grouping to allocate)
  const exp: Map<string, unknown> = opts.method === 'files' ? new Map(expected.map((r) => [r.name, r])) : byFile(expected, 'shards')
  const act: Map<string, unknown> = opts.method === 'files' ? new Map(actual.map((r) => [r.name, r])) : byFile(actual, 'shards')
  const label = (f: string) => (f === '.' && opts.singleFileLabel ? opts.singleFileLabel : f)
  const problems: string[] = []
  // Walk in map order and sort only the files that have a problem (usually few of many).
  const bad = new Map<string, string>()
  for (const [file, e] of exp) {
    const a = act.get(file)
    if (!a) bad.set(file, `missing file: ${label(file)}`)
    else {
      const why =
        opts.method === 'files'
          ? fileDiffers(e as ResourceDescriptor, a as ResourceDescriptor)
          : shardsDiffer(e as Map<string, ResourceDescriptor>, a as Map<string, ResourceDescriptor>)
      if (why) bad.set(file, `changed file: ${label(file)}: ${why}`)
    }
  }
  for (const file of sortedByBytes(bad.keys())) problems.push(bad.get(file) as string)
  if (!opts.ignoreUnsignedFiles) {
    const extra = [...act.keys()].filter((f) => !exp.has(f))
    for (const file of sortedByBytes(extra)) problems.push(`extra file: ${label(file)} (not covered by the signature)`)
  }
  if (problems.length > MAX_PROBLEMS) {
    const more = problems.length - MAX_PROBLEMS
    problems.length = MAX_PROBLEMS
    problems.push(`... and ${more} more problems`)
  }
  return problems
}

function fileDiffers(er: ResourceDescriptor, ar: ResourceDescriptor): string | undefined {
  if (er.algorithm !== ar.algorithm) return `hashed as ${ar.algorithm}, signed as ${er.algorithm}`
  return er.digest === ar.digest ? undefined : `${er.algorithm} digest differs`
}

function shardsDiffer(e: Map<string, ResourceDescriptor>, a: Map<string, ResourceDescriptor>): string | undefined {
  if (e.size !== a.size || [...e.keys()].some((k) => !a.has(k))) return 'size differs (shard ranges do not match)'
  for (const [k, er] of e) {
    const ar = a.get(k) as ResourceDescriptor
    if (er.algorithm !== ar.algorithm) return `hashed as ${ar.algorithm}, signed as ${er.algorithm}`
    if (er.digest !== ar.digest) return `shard ${k.replace(':', '-')} digest differs`
  }
  return undefined
}

/** Code-point (UTF-8 byte) order, with each key encoded once rather than per comparison. */
function sortedByBytes(names: Iterable<string>): string[] {
  return [...names]
    .map((n) => ({n, k: Buffer.from(n)}))
    .sort((a, b) => Buffer.compare(a.k, b.k))
    .map((e) => e.n)
}

/**
 * Names and sizes only, before hashing: missing and extra files, and (shards mode, where the
 * signed ranges give each file's size) files whose size differs. Empty when hashing is needed to
 * tell; the full comparison still runs after hashing.
 */
/**
 * Names and sizes against the signature, before hashing. Every file it finds a problem with (extra,
 * resized, missing) is added to `flagged`, so the caller hashes only the rest and still reports
 * every problem, without reading a file whose size already proves it is not what was signed.
 */
export function compareListing(
  expected: ResourceDescriptor[],
  listing: readonly {name: string; size: number}[],
  opts: CompareOptions,
  flagged: Set<string> = new Set(),
): string[] {
  const sizes = new Map<string, number>()
  for (const r of expected) {
    if (opts.method === 'files') sizes.set(r.name, -1)
    else {
      const sh = parseShardName(r.name)
      if (sh) sizes.set(sh.path, Math.max(sizes.get(sh.path) ?? 0, sh.end))
    }
  }
  const label = (f: string) => (f === '.' && opts.singleFileLabel ? opts.singleFileLabel : f)
  const bad = new Map<string, string>()
  const seen = new Set<string>()
  for (const f of listing) {
    seen.add(f.name)
    const want = sizes.get(f.name)
    if (want === undefined) {
      // An empty file has no shards: shards mode cannot list it, signed or not.
      if (opts.method === 'shards' && f.size === 0) continue
      if (!opts.ignoreUnsignedFiles) bad.set(f.name, `extra file: ${label(f.name)} (not covered by the signature)`)
    } else if (want >= 0 && want !== f.size) bad.set(f.name, `changed file: ${label(f.name)}: size differs (${f.size} bytes, signed ${want})`)
  }
  for (const name of sizes.keys()) if (!seen.has(name)) bad.set(name, `missing file: ${label(name)}`)
  for (const name of bad.keys()) flagged.add(name)
  const problems = sortedByBytes(bad.keys()).map((k) => bad.get(k) as string)
  if (problems.length > MAX_PROBLEMS) {
    const more = problems.length - MAX_PROBLEMS
    problems.length = MAX_PROBLEMS
    problems.push(`... and ${more} more problems`)
  }
  return problems
}
