// Differential test of the tar reader: randomised archives (testdata/lib/tar-fuzz.mjs, seeded);
// whatever modelseal accepts, GNU `tar -x` and Python's tarfile (`r:*` and `r|*`, every Python
// installed) must extract without error to exactly the files and bytes modelseal listed.
// TAR_DIFF_SEED / TAR_DIFF_COUNT change the run (the seed is in every failure message).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, describe, it} from 'node:test'

import {openSource} from '../../src/dataset/source.js'
import type {DatasetEntry} from '../../src/dataset/types.js'
import {repoRoot, tempDir} from '../helpers/cli.js'
import {extractAll, pythons} from './tar-tools.js'

const SEED = Number(process.env.TAR_DIFF_SEED ?? 20261206)
const COUNT = Number(process.env.TAR_DIFF_COUNT ?? 400)

const tmp = tempDir('modelseal-tar-diff-')
after(() => tmp.cleanup())

async function readWithModelseal(file: string): Promise<DatasetEntry[] | Error> {
  try {
    const src = await openSource(file, {format: 'tar', algorithm: 'sha256'})
    const out: DatasetEntry[] = []
    for await (const e of src.entries) out.push(e)
    return out
  } catch (err) {
    return err as Error
  }
}

const hasGnuTar = spawnSync('tar', ['--version'], {encoding: 'utf8'}).stdout?.includes('GNU tar') ?? false
const py = pythons()

describe('tar reader agrees with GNU tar and Python tarfile', () => {
  it(`on ${COUNT} randomised archives (seed ${SEED})`, {skip: py.length === 0 || !hasGnuTar ? 'needs GNU tar and python3' : false}, async () => {
    const {randomTar} = (await import(pathToFileURL(path.join(repoRoot, 'testdata', 'lib', 'tar-fuzz.mjs')).href)) as {
      randomTar: (seed: number) => {tar: Buffer; gzip: boolean}
    }
    const accepted = new Map<string, {seed: number; entries: DatasetEntry[]}>()
    const reasons = new Map<string, number>()
    for (let i = 0; i < COUNT; i++) {
      const seed = SEED + i
      const {tar, gzip} = randomTar(seed)
      const file = path.join(tmp.dir, `${seed}.tar${gzip ? '.gz' : ''}`)
      writeFileSync(file, tar)
      const r = await readWithModelseal(file)
      if (r instanceof Error) {
        const code = (r as Error & {code?: string}).code ?? r.name
        reasons.set(code, (reasons.get(code) ?? 0) + 1)
      } else accepted.set(file, {seed, entries: r})
    }
    // The generator must exercise both sides: plenty accepted, plenty refused.
    assert.ok(accepted.size >= COUNT / 5, `only ${accepted.size} of ${COUNT} archives accepted`)
    assert.ok(accepted.size <= (COUNT * 4) / 5, `${accepted.size} of ${COUNT} accepted: the generator is too tame`)
    const files = [...accepted.keys()]
    for (const [k, p] of py.entries()) {
      const work = path.join(tmp.dir, `x${k}`)
      mkdirSync(work)
      const got = extractAll(p, work, files)
      for (const file of files) {
        const {seed, entries} = accepted.get(file)!
        const want = Object.fromEntries(entries.map((e) => [e.path, {size: e.size, sha256: e.digest}]))
        for (const [mode, res] of Object.entries(got[file])) {
          if (res === null) continue
          const ctx = `seed ${seed} (${path.basename(file)}), ${mode === 'gnu' ? 'GNU tar' : `${p} ${mode}`}`
          assert.ok(res.ok, `${ctx}: modelseal accepted the archive but the extractor failed: ${JSON.stringify(res).slice(0, 400)}`)
          const tree = Object.fromEntries(Object.entries(res.tree).map(([name, v]) => [name.normalize('NFC') === name ? name : `${name} (not NFC)`, v]))
          assert.deepEqual(tree, want, `${ctx}: extracted files differ from what modelseal listed`)
        }
      }
    }
    process.stderr.write(
      `tar differential: ${accepted.size} of ${COUNT} accepted and identical under GNU tar and ${py.length} Python(s); refused: ${JSON.stringify(Object.fromEntries(reasons))}\n`,
    )
  })
})
