/**
 * Every input the fuzzer ever crashed a parser with, kept under testdata/regressions/<target>/
 * (with a .txt note: what broke and how it was fixed). Each must now be rejected with a typed
 * error or parsed — never crash again.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {test} from 'node:test'

import {repoRoot} from '../helpers/cli.js'
import {isTypedError, TARGETS, type Scratch} from './targets.js'

const dir = path.join(repoRoot, 'testdata', 'regressions')

test('fuzz regressions stay fixed', async (t) => {
  const targets = existsSync(dir) ? readdirSync(dir).filter((n) => TARGETS.some((x) => x.name === n)) : []
  if (targets.length === 0) {
    t.skip('no regression fixtures')
    return
  }
  const scratchDir = mkdtempSync(path.join(tmpdir(), 'modelseal-regress-'))
  const scratch: Scratch = {
    dir: scratchDir,
    write(name, bytes) {
      const p = path.join(scratchDir, name)
      writeFileSync(p, bytes)
      return p
    },
  }
  try {
    for (const name of targets) {
      const target = TARGETS.find((x) => x.name === name)!
      const run = await target.prepare()
      assert.equal(typeof run, 'function', `regression fixtures exist for ${name} but its parser is unavailable: ${String(run)}`)
      for (const f of readdirSync(path.join(dir, name)).filter((n) => !n.endsWith('.txt') && !n.endsWith('.md'))) {
        const input = readFileSync(path.join(dir, name, f))
        try {
          await (run as (b: Buffer, s: Scratch) => unknown)(input, scratch)
        } catch (err) {
          assert.ok(isTypedError(err), `${name}/${f}: ${(err as Error)?.stack ?? err}`)
        }
      }
    }
  } finally {
    rmSync(scratchDir, {recursive: true, force: true})
  }
})
