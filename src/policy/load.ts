/** Reading a policy file: bounded read, YAML with positions, schema validation. */
import {createHash} from 'node:crypto'
import {openSync, closeSync, fstatSync, readSync, statSync} from 'node:fs'

import {InputError} from '../errors.js'
import type {SchemaIssue} from './checker.js'
import {validatePolicy} from './schema.js'
import type {Policy} from './types.js'
import {MAX_POLICY_BYTES, parseYamlSource} from './yaml-source.js'

/** Reads at most `max` bytes; a larger file is refused without reading it all. */
export function readBounded(file: string, max: number, code: string, what: string): Buffer {
  let fd: number
  try {
    // open() of a FIFO blocks until a writer appears: refuse anything but a regular file first
    if (!statSync(file).isFile()) throw new InputError(code, `${what} ${file} is not a regular file`)
    fd = openSync(file, 'r')
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(code, `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new InputError(code, `${what} ${file} is not a regular file`)
    if (st.size > max) throw new InputError(code, `${what} ${file} is larger than ${max} bytes`)
    const buf = Buffer.alloc(st.size)
    let off = 0
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

export interface PolicyLoadResult {
  policy?: Policy
  issues: SchemaIssue[]
}

/** Parses and validates without throwing on schema problems (for lint). YAML syntax errors still throw. */
export function inspectPolicy(file: string): PolicyLoadResult {
  const bytes = readBounded(file, MAX_POLICY_BYTES, 'E_POLICY_MALFORMED', 'policy')
  const text = decodeUtf8(bytes, file)
  const src = parseYamlSource(text, file)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const {policy, checker} = validatePolicy(src, sha256)
  return {policy, issues: checker.issues}
}

/** Loads a policy or throws InputError (exit 3) naming the line and key of the first error. */
export function loadPolicy(file: string): Policy {
  const {policy, issues} = inspectPolicy(file)
  // Unknown keys first (a typo usually also causes a "missing key"), then by line.
  const errors = issues.filter((i) => i.level === 'error').sort((a, b) => Number(b.code === 'UNKNOWN_KEY') - Number(a.code === 'UNKNOWN_KEY') || (a.line ?? 0) - (b.line ?? 0))
  if (errors.length > 0 || !policy) {
    const e = errors[0]
    const where = e ? `${file}:${e.line ?? '?'}: ${e.key}: ` : `${file}: `
    throw new InputError('E_POLICY_INVALID', `${where}${e?.message ?? 'invalid policy'}${errors.length > 1 ? ` (+${errors.length - 1} more; run \`modelseal policy lint\`)` : ''}`, {
      issues: errors,
    })
  }
  return policy
}

function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw new InputError('E_POLICY_MALFORMED', `${file}: not UTF-8 text`)
  }
}
