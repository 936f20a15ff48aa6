/**
 * docs/exit-codes.md lists every error code the code can throw, with the exit code it maps to:
 * a new code without documentation, or a documented exit code that differs from the class the
 * code is thrown with, fails here.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {repoRoot} from '../helpers/cli.js'

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) sources(p, out)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p)
  }
  return out
}

test('every error code thrown in src/ and commands/ is documented in docs/exit-codes.md with its exit code', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'exit-codes.md'), 'utf8')
  const documented = new Map<string, number>()
  for (const m of doc.matchAll(/^\|\s*(E_[A-Z0-9_]+)\s*\|\s*(\d)\s*\|/gm)) documented.set(m[1], Number(m[2]))
  const byClass: Record<string, number> = {VerificationError: 1, UsageError: 2, InputError: 3}
  const missing: string[] = []
  const wrongExit: string[] = []
  for (const file of [...sources(path.join(repoRoot, 'src')), ...sources(path.join(repoRoot, 'commands'))]) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/['"`](E_[A-Z0-9_]+)['"`]/g)) if (!documented.has(m[1])) missing.push(`${m[1]} (${path.relative(repoRoot, file)})`)
    for (const m of text.matchAll(/new (VerificationError|UsageError|InputError)\(\s*'(E_[A-Z0-9_]+)'/g)) {
      const want = documented.get(m[2])
      if (want !== undefined && want !== byClass[m[1]]) {
        wrongExit.push(`${m[2]}: thrown as ${m[1]} (exit ${byClass[m[1]]}) in ${path.relative(repoRoot, file)}, documented as exit ${want}`)
      }
    }
  }
  assert.deepEqual([...new Set(missing)], [], 'undocumented error codes')
  assert.deepEqual([...new Set(wrongExit)], [], 'exit codes that differ from the documentation')
})
