/**
 * Bounded YAML loading that remembers where every key and value sits, so schema errors can say
 * "line 12, key spec.requirements[2].type". Policy files are small and human-written; anything
 * large, deeply nested or alias-heavy is rejected before it can cost memory or time.
 */
import {isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode} from 'yaml'

import {type ErrorCode, InputError} from '../errors.js'

export const MAX_POLICY_BYTES = 1024 * 1024
/**
 * The yaml composer records one error per malformed line, so a megabyte of `?` lines costs
 * seconds and hundreds of MB before it is refused (fuzz finding, testdata/regressions/policy).
 * Real policies are a few hundred lines; refusing more than this keeps the worst case small.
 */
export const MAX_POLICY_LINES = 10_000
/** Long chains of implicit keys on one line (`[]: []: []: …`) make the composer quadratic. */
export const MAX_POLICY_LINE_LENGTH = 8192
export const MAX_POLICY_DEPTH = 32
/** Aliases are legitimate (shared identity lists) but a billion-laughs expansion is not. */
export const MAX_ALIAS_COUNT = 100
export const MAX_COLLECTION_ITEMS = 10_000

export interface Position {
  line: number
  col: number
}

/** A parsed YAML document as plain data plus a path → position index. */
export interface YamlSource {
  data: unknown
  file: string
  /** Position of the key (for map entries) or item (for sequences) at `path`. */
  positionOf(path: (string | number)[]): Position | undefined
}

export function formatPath(path: (string | number)[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p
  return out || '(document)'
}

export function parseYamlSource(text: string, file: string, errorCode: ErrorCode = 'E_POLICY_MALFORMED'): YamlSource {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw new InputError(errorCode, `${file}: larger than ${MAX_POLICY_BYTES} bytes; not a policy file`)
  }
  let lines = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); ; i = text.indexOf('\n', i + 1)) {
    const lineEnd = i === -1 ? text.length : i
    if (lineEnd - lineStart > MAX_POLICY_LINE_LENGTH) {
      throw new InputError(errorCode, `${file}:${lines}: line longer than ${MAX_POLICY_LINE_LENGTH} characters; not a policy file`)
    }
    if (i === -1) break
    lineStart = i + 1
    if (++lines > MAX_POLICY_LINES) {
      throw new InputError(errorCode, `${file}: more than ${MAX_POLICY_LINES} lines; not a policy file`)
    }
  }
  const lineCounter = new LineCounter()
  let doc
  try {
    doc = parseDocument(text, {lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2'})
  } catch (err) {
    throw new InputError(errorCode, `${file}: not YAML: ${(err as Error).message}`)
  }
  const first = doc.errors[0]
  if (first) {
    const pos = lineCounter.linePos(first.pos[0])
    throw new InputError(errorCode, `${file}:${pos.line}:${pos.col}: ${firstLine(first.message)}`, {
      file,
      line: pos.line,
      col: pos.col,
    })
  }
  const positions = new Map<string, Position>()
  const at = (offset: number | undefined): Position | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset))
  // Walk the AST once: checks depth and collection sizes, records positions by path.
  const walk = (node: unknown, path: (string | number)[], depth: number): void => {
    if (depth > MAX_POLICY_DEPTH) {
      const p = at((node as YamlNode | undefined)?.range?.[0])
      throw new InputError(errorCode, `${file}:${p?.line ?? '?'}: nesting deeper than ${MAX_POLICY_DEPTH} at ${formatPath(path)}`, {
        file,
        line: p?.line,
        key: formatPath(path),
      })
    }
    if (isMap(node)) {
      if (node.items.length > MAX_COLLECTION_ITEMS) throw new InputError(errorCode, `${file}: mapping at ${formatPath(path)} has too many keys`)
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const keyNode = pair.key
        const key = isScalar(keyNode) ? String(keyNode.value) : undefined
        if (key === undefined) {
          const p = at((keyNode as YamlNode | null)?.range?.[0])
          throw new InputError(errorCode, `${file}:${p?.line ?? '?'}: only plain string keys are allowed (at ${formatPath(path)})`, {
            file,
            line: p?.line,
            key: formatPath(path),
          })
        }
        const child = [...path, key]
        const p = at((keyNode as YamlNode).range?.[0])
        if (p) positions.set(JSON.stringify(child), p)
        walk(pair.value, child, depth + 1)
      }
    } else if (isSeq(node)) {
      if (node.items.length > MAX_COLLECTION_ITEMS) throw new InputError(errorCode, `${file}: list at ${formatPath(path)} is too long`)
      node.items.forEach((item, i) => {
        const child = [...path, i]
        const p = at((item as YamlNode | null)?.range?.[0])
        if (p) positions.set(JSON.stringify(child), p)
        walk(item, child, depth + 1)
      })
    } else if (isAlias(node)) {
      // Resolved by toJS under maxAliasCount; the alias itself has no structure of its own.
    }
  }
  walk(doc.contents, [], 0)
  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
  } catch (err) {
    throw new InputError(errorCode, `${file}: ${firstLine((err as Error).message)}`)
  }
  return {
    data,
    file,
    positionOf(path) {
      // Fall back to the nearest ancestor that has a position (e.g. a missing key → its parent).
      for (let n = path.length; n >= 1; n--) {
        const p = positions.get(JSON.stringify(path.slice(0, n)))
        if (p) return p
      }
      return undefined
    },
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim()
}
