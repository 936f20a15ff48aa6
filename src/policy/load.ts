/** Reading a policy file: bounded read, YAML with positions, schema validation. */
import {createHash} from 'node:crypto'

import {InputError} from '../errors.js'
import {readBoundedFile} from '../io/index.js'
import type {SchemaIssue} from './checker.js'
import {validatePolicy} from './schema.js'
import type {Policy} from './types.js'
import {MAX_POLICY_BYTES, parseYamlSource} from './yaml-source.js'
import {requirePath} from '../util/args.js'

export interface PolicyLoadResult {
  policy?: Policy
  issues: SchemaIssue[]
}

/** Parses and validates without throwing on schema problems (for lint). YAML syntax errors still throw. */
export function inspectPolicy(file: string): PolicyLoadResult {
  const bytes = readBoundedFile(file, {maxBytes: MAX_POLICY_BYTES, code: 'E_POLICY_MALFORMED', what: 'policy', followSymlinks: true})
  const text = decodeUtf8(bytes, file)
  const src = parseYamlSource(text, file)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const {policy, checker} = validatePolicy(src, sha256)
  return {policy, issues: checker.issues}
}

/** Loads a policy or throws InputError (exit 3) naming the line and key of the first error. */
export function loadPolicy(file: string): Policy {
  requirePath('loadPolicy', 'file', file)
  const {policy, issues} = inspectPolicy(file)
  // Unknown keys first (a typo usually also causes a "missing key"), then by line.
  const errors = issues
    .filter((i) => i.level === 'error')
    .sort((a, b) => Number(b.code === 'UNKNOWN_KEY') - Number(a.code === 'UNKNOWN_KEY') || (a.line ?? 0) - (b.line ?? 0))
  if (errors.length > 0 || !policy) {
    const e = errors[0]
    const where = e ? `${file}:${e.line ?? '?'}: ${e.key}: ` : `${file}: `
    throw new InputError(
      'E_POLICY_INVALID',
      `${where}${e?.message ?? 'invalid policy'}${errors.length > 1 ? ` (+${errors.length - 1} more; run \`modelseal policy lint\`)` : ''}`,
      {
        issues: errors,
      },
    )
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
