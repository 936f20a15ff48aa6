/**
 * Turns opcode walks into issues (rules PKL-001…010 of docs/weights.md). Walks every stacked
 * pickle in a buffer, so a payload placed after the first STOP, or before a deliberately broken
 * stream, is still seen.
 */
import type {FormatIssue} from '../tensor.js'
import {judgeGlobal, TORCH_STORAGE_DTYPES, type GlobalVerdict} from './globals.js'
import {walkPickle, type PickleWalk, type PVal} from './walker.js'

export const MAX_STACKED_PICKLES = 64

/** Opcodes torch's weights_only unpickler accepts; anything else in a checkpoint is unusual. */
const WEIGHTS_ONLY_OPS = new Set(
  'GLOBAL NEWOBJ REDUCE BUILD APPEND APPENDS SETITEM SETITEMS MARK TUPLE TUPLE1 TUPLE2 TUPLE3 NONE NEWFALSE NEWTRUE EMPTY_TUPLE EMPTY_LIST EMPTY_DICT EMPTY_SET BININT BININT1 BININT2 BINFLOAT BINUNICODE SHORT_BINSTRING LONG1 BINPERSID BINGET LONG_BINGET BINPUT LONG_BINPUT PROTO STOP'.split(
    ' ',
  ),
)

export type PickleContext = 'torch-zip' | 'torch-legacy' | 'pickle' | 'numpy'

export interface PickleReport {
  walks: PickleWalk[]
  issues: FormatIssue[]
  /** Bytes consumed by complete pickles (where trailing data starts). */
  end: number
}

export interface AnalyzeOptions {
  context: PickleContext
  member?: string
  /** Added to offsets so locations are file offsets. */
  baseOffset?: number
  /** Stacked pickles expected (torch zip: 1 per member; legacy torch: 5). */
  expected?: number
  /** Stop after this many pickles (legacy torch: the raw storages follow). */
  maxPickles?: number
}

const unsafe = (
  id: string,
  severity: FormatIssue['severity'],
  title: string,
  message: string,
  location: FormatIssue['location'],
  evidence?: Record<string, unknown>,
): FormatIssue => ({
  id,
  severity,
  category: 'unsafe-pickle',
  title,
  message,
  location,
  ...(evidence ? {evidence} : {}),
})

export function analyzePickle(b: Uint8Array, opts: AnalyzeOptions): PickleReport {
  const base = opts.baseOffset ?? 0
  const loc = (offset: number) => ({...(opts.member ? {member: opts.member} : {}), offset: base + offset})
  const walks: PickleWalk[] = []
  const issues: FormatIssue[] = []
  let pos = 0
  const max = Math.min(opts.maxPickles ?? MAX_STACKED_PICKLES, MAX_STACKED_PICKLES)
  // Every stream in the buffer is walked: a loader that calls load() again (legacy torch does five
  // times; a reused Unpickler keeps its memo) runs whatever follows a STOP, and CPython accepts a
  // stream that starts with any opcode. Bytes after the last stream that do not parse into an
  // import or a call are plain trailing data (reported by the caller), not a pickle.
  while (pos < b.length && walks.length < max) {
    const w = walkPickle(b, pos, b.length, {priorMemo: walks[walks.length - 1]?.memo})
    if (walks.length > 0 && !w.complete && w.globals.length === 0 && w.reduces === 0 && w.unresolved.length === 0) break
    walks.push(w)
    if (!w.complete) break
    pos = w.end
  }
  const expected = opts.expected ?? 1
  const complete = walks.filter((w) => w.complete).length
  if (walks.length > expected && complete > expected) {
    issues.push(
      unsafe(
        'MS-PK006',
        'medium',
        'Stacked pickles',
        `${walks.length} pickles found where ${expected} expected; every one was analysed`,
        loc(walks[expected].start),
      ),
    )
  }

  const seen = new Map<string, {count: number; first: number; called: boolean; verdict: GlobalVerdict}>()
  for (const w of walks) {
    for (const g of w.globals) {
      const verdict = judgeGlobal(g.module, g.name, g.proto)
      const key = `${g.module}.${g.name}`
      const e = seen.get(key)
      if (e) {
        e.count++
        e.called ||= !!g.called
      } else seen.set(key, {count: 1, first: g.offset, called: !!g.called, verdict})
    }
    for (const u of w.unresolved) {
      issues.push(
        unsafe(
          'MS-PK003',
          'critical',
          'Unresolvable STACK_GLOBAL',
          `STACK_GLOBAL whose module/name cannot be resolved statically (${u.reason}): a classic way to hide an import`,
          loc(u.offset),
        ),
      )
    }
    for (const m of w.misplacedProto) issues.push(unsafe('MS-PK005', 'medium', 'Misplaced PROTO opcode', 'PROTO appears after the start of the stream', loc(m)))
    const ext = (w.opcodes.get('EXT1') ?? 0) + (w.opcodes.get('EXT2') ?? 0) + (w.opcodes.get('EXT4') ?? 0)
    if (ext)
      issues.push(
        unsafe(
          'MS-PK004',
          'high',
          'Extension-registry import',
          `${ext} EXT opcode(s) import callables through copyreg's extension registry, invisible to name checks`,
          loc(w.start),
        ),
      )
    if (w.error) {
      const armed = w.globals.length > 0 || w.reduces > 0
      issues.push(
        unsafe(
          'MS-PK005',
          armed ? 'high' : 'medium',
          'Malformed pickle stream',
          `pickle stream breaks at offset ${base + w.error.offset}: ${w.error.message}${armed ? ' — after imports/calls that a loader would already have executed' : ''}`,
          loc(w.error.offset),
          {
            globalsBeforeError: w.globals.length,
            callsBeforeError: w.reduces,
          },
        ),
      )
    }
    if (w.gets > 100 && w.gets > 50 * Math.max(1, w.puts)) {
      issues.push(
        unsafe('MS-PK007', 'medium', 'Memo expansion pattern', `${w.gets} memo GETs for ${w.puts} PUTs: a billion-laughs style expansion`, loc(w.start)),
      )
    }
    if (opts.context === 'torch-zip' || opts.context === 'torch-legacy') {
      const odd = [...w.opcodes.keys()].filter((o) => !WEIGHTS_ONLY_OPS.has(o) && !/^(FRAME|MEMOIZE|SHORT_BINUNICODE|BINUNICODE8|STACK_GLOBAL)$/.test(o))
      if (odd.length) {
        issues.push(
          unsafe(
            'MS-PK004',
            'medium',
            'Opcodes outside the weights-only set',
            `checkpoint pickle uses ${odd.join(', ')}, which PyTorch's weights_only loader rejects`,
            loc(w.start),
            {opcodes: odd},
          ),
        )
      }
    }
  }
  for (const [name, e] of seen) {
    const {verdict: v} = e
    const shown = v.target !== name ? `${name} (imported as ${v.target})` : name
    const evidence = {global: name, target: v.target, occurrences: e.count, called: e.called, ...(v.via ? {via: v.via} : {})}
    if (v.cls === 'dangerous') {
      issues.push(
        unsafe(
          'MS-PK001',
          'critical',
          'Dangerous pickle import',
          `pickle imports ${shown}${v.via ? ` — ${v.via}` : ''}${e.called ? ' and calls it' : ''}: loading this file can run arbitrary code`,
          loc(e.first),
          evidence,
        ),
      )
    } else if (v.cls === 'unknown' && v.dotted) {
      issues.push(
        unsafe(
          'MS-PK002',
          'high',
          'Dotted attribute-walk import',
          `pickle imports ${shown}: find_class walks attributes from the module, so the real target cannot be verified statically`,
          loc(e.first),
          evidence,
        ),
      )
    } else if (v.cls === 'unknown') {
      issues.push(
        unsafe(
          'MS-PK002',
          'medium',
          'Pickle import outside the weights-only allowlist',
          `pickle imports ${shown}${e.called ? ' and calls it' : ''}, which PyTorch's weights_only loader would refuse`,
          loc(e.first),
          evidence,
        ),
      )
    }
  }
  const last = walks[walks.length - 1]
  const done = walks.filter((w) => w.complete)
  return {walks, issues, end: last?.complete ? last.end : done.length ? done[done.length - 1].end : 0}
}

export interface TorchStorageRef {
  key: string
  storage: string
  dtype: (typeof TORCH_STORAGE_DTYPES)[string]['dtype']
  elementBytes: number
  numel: number
  location: string
}

/** Reads PyTorch `('storage', <StorageClass>, key, location, numel)` persistent ids. */
export function torchStorages(walks: PickleWalk[], member: string | undefined, base: number): {storages: Map<string, TorchStorageRef>; issues: FormatIssue[]} {
  const storages = new Map<string, TorchStorageRef>()
  const issues: FormatIssue[] = []
  for (const w of walks) {
    for (const p of w.persistentIds) {
      const ref = parseStorageId(p.value)
      if (!ref) {
        if (issues.length < 8) {
          issues.push(
            unsafe('MS-PK010', 'medium', 'Unexpected persistent id', `persistent id is not a ('storage', StorageClass, key, location, numel) tuple`, {
              ...(member ? {member} : {}),
              offset: base + p.offset,
            }),
          )
        }
        continue
      }
      storages.set(ref.key, ref)
    }
  }
  return {storages, issues}
}

function parseStorageId(v: PVal): TorchStorageRef | null {
  if (v.t !== 'tuple' || v.items.length < 5) return null
  const [tag, cls, key, location, numel] = v.items
  if (tag.t !== 'str' || tag.v !== 'storage' || cls.t !== 'global' || key.t !== 'str' || location.t !== 'str' || numel.t !== 'int') return null
  const info = cls.module === 'torch' || cls.module === 'torch.storage' || cls.module === 'torch.cuda' ? TORCH_STORAGE_DTYPES[cls.name] : undefined
  if (!info || numel.v < 0) return null
  return {key: key.v, storage: `${cls.module}.${cls.name}`, dtype: info.dtype, elementBytes: info.bytes, numel: numel.v, location: location.v}
}
