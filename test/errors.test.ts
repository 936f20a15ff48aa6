/** Error codes: one union in src/errors.ts, each documented in docs/exit-codes.md with its exit code. */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'

import {describeError, ERROR_CODES, InputError, isErrorCode, UsageError, VerificationError} from '../src/errors.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

test('every error code is documented in docs/exit-codes.md, and every documented code exists', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'exit-codes.md'), 'utf8')
  const documented = new Set([...doc.matchAll(/^\| (E_[A-Z0-9_]+) \| ([0-3]) \|/gm)].map((m) => m[1]))
  assert.deepEqual(
    ERROR_CODES.filter((c) => !documented.has(c)),
    [],
    'codes missing from docs/exit-codes.md',
  )
  assert.deepEqual(
    [...documented].filter((c) => !isErrorCode(c)),
    [],
    'documented codes missing from ERROR_CODES',
  )
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length)
})

test('errors carry their exit code and, when given, their cause', () => {
  const cause = new Error('ENOENT: no such file')
  const e = new InputError('E_IO', 'cannot read x', undefined, {cause})
  assert.equal(e.cause, cause)
  assert.equal(e.exitCode, 3)
  assert.equal(new UsageError('E_USAGE', 'x').exitCode, 2)
  assert.equal(new VerificationError('E_STATEMENT_INVALID', 'x').exitCode, 1)
  assert.equal('cause' in new InputError('E_IO', 'x'), false)
  assert.deepEqual(describeError(e), {code: 'E_IO', message: 'cannot read x', exitCode: 3})
  assert.equal(isErrorCode('E_NOT_A_CODE'), false)
})
