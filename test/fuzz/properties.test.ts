/**
 * Property tests over every parser (a small, fixed budget so `npm test` stays fast; the long runs
 * are `npm run fuzz`). Property: whatever the bytes, the parser returns or throws one of
 * modelseal's typed errors — never a TypeError, RangeError, stack overflow or other crash.
 * Inputs: the target's seeds mutated by the fuzzer's own mutators (driven by fast-check integers,
 * so failures shrink to a small seed/round count), and plain random bytes.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, before, describe, test} from 'node:test'

import fc from 'fast-check'

import {repoRoot} from '../helpers/cli.js'
import {isTypedError, loadBuilders, TARGETS, testdataSeeds, type Builders, type Scratch} from './targets.js'

const RUNS = Number(process.env.FUZZ_PROPERTY_RUNS ?? 100)
const SEED = Number(process.env.FUZZ_SEED ?? 20261128)

let builders: Builders
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let mutate: (input: Buffer, r: any, opts: any) => Buffer
let scratchDir: string
const scratch: Scratch = {
  get dir() {
    return scratchDir
  },
  write(name, bytes) {
    const p = path.join(scratchDir, name)
    writeFileSync(p, bytes)
    return p
  },
}

before(async () => {
  builders = await loadBuilders(repoRoot)
  ;({mutate} = await import(pathToFileURL(path.join(repoRoot, 'fuzz', 'lib', 'mutate.mjs')).href))
  scratchDir = mkdtempSync(path.join(tmpdir(), 'modelseal-prop-'))
})
after(() => rmSync(scratchDir, {recursive: true, force: true}))

async function check(run: (b: Buffer, s: Scratch) => unknown, input: Buffer): Promise<void> {
  try {
    await run(input, scratch)
  } catch (err) {
    if (!isTypedError(err)) {
      const e = err as Error
      assert.fail(`untyped ${e?.name}: ${e?.message}\ninput (${input.length} bytes, base64): ${input.subarray(0, 2048).toString('base64')}\n${e?.stack}`)
    }
  }
}

describe('parsers reject arbitrary input with typed errors only', () => {
  for (const t of TARGETS.filter((x) => !x.hidden)) {
    test(t.name, async (ctx) => {
      const run = await t.prepare()
      if (typeof run === 'string') {
        ctx.skip(run)
        return
      }
      const seeds: Buffer[] = [...(await t.seeds(builders)), ...testdataSeeds(t, repoRoot, {maxFiles: 8, maxBytes: 256 * 1024})]
      // The seeds themselves first: valid files must not crash either.
      for (const s of seeds) await check(run, s)
      if (seeds.length > 0) {
        await fc.assert(
          fc.asyncProperty(fc.nat(seeds.length - 1), fc.integer({min: 1, max: 2 ** 31 - 1}), fc.integer({min: 1, max: 8}), async (i, seed, rounds) => {
            const r = builders.rng(seed)
            let input = seeds[i]
            for (let k = 0; k < rounds; k++) input = mutate(input, r, {dict: t.dict ?? [], others: seeds, maxLen: 1 << 20, kind: t.kind})
            await check(run, input)
          }),
          {numRuns: RUNS, seed: SEED},
        )
      }
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({maxLength: 2048}), async (bytes) => check(run, Buffer.from(bytes))),
        {numRuns: Math.ceil(RUNS / 3), seed: SEED},
      )
    })
  }
})
