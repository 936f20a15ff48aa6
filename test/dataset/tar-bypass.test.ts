// Regression tests of the tar constructions that once verified while GNU tar or Python's
// tarfile extracted other bytes (testdata/dataset/make-tar-bypasses.mjs builds them). Each one
// must end in exit 1 or 3 — never "verified" — through the CLI, for manifests made from the
// signed files. Where GNU tar and Python are installed, the test also shows each construction
// is real: some extractor lands bytes other than the signed ones.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {createManifest} from '../../src/dataset/manifest.js'
import {assertCleanFailure, repoRoot, runCli, tempDir} from '../helpers/cli.js'
import {writeTree} from './helpers.js'
import {extractAll, pythons, type Tree} from './tar-tools.js'

interface Bypass {
  id: string
  what: string
  signed: Record<string, string>
  tar: Buffer
  gzip?: boolean
  allowLinks?: boolean
}

const tmp = tempDir('modelseal-tar-bypass-')
after(() => tmp.cleanup())
const at = (p: string) => path.join(tmp.dir, p)

async function loadBypasses(): Promise<Bypass[]> {
  const m = (await import(pathToFileURL(path.join(repoRoot, 'testdata', 'dataset', 'make-tar-bypasses.mjs')).href)) as {bypasses: () => Bypass[]}
  return m.bypasses()
}

describe('tar bypass constructions end in exit 1 or 3', () => {
  let list: Bypass[] = []
  before(async () => {
    list = await loadBypasses()
    for (const b of list) {
      writeFileSync(at(`${b.id}.tar${b.gzip ? '.gz' : ''}`), b.tar)
      await createManifest(writeTree(at(`signed-${b.id}`), b.signed), {output: at(`m-${b.id}`), name: b.id, workers: 1})
    }
  })

  it('covers the seven kinds of the security review', () => {
    const kinds = new Set(list.map((b) => b.id.split('-')[0]))
    assert.deepEqual([...kinds].sort(), ['1', '2', '3', '4', '5', '6', '7'])
  })

  it('verify (CLI) and manifest refuse every construction: exit 1 or 3, one-line error', async () => {
    for (let i = 0; i < list.length; i += 4) {
      await Promise.all(
        list.slice(i, i + 4).map(async (b) => {
          const archive = at(`${b.id}.tar${b.gzip ? '.gz' : ''}`)
          const links = b.allowLinks ? ['--allow-links'] : []
          const v = await runCli(['dataset', 'verify', archive, '--manifest', at(`m-${b.id}`), '--unsigned', ...links], {timeoutMs: 120_000})
          assert.ok(v.code === 1 || v.code === 3, `${b.id} (${b.what}): verify exited ${v.code}\n${v.stdout}${v.stderr}`)
          assert.doesNotMatch(v.stdout, /VERIFIED|UNSIGNED:/, b.id)
          assertCleanFailure(v)
          // `dataset manifest` reads through the same source: in-process is enough (and quicker).
          await assert.rejects(
            createManifest(archive, {output: at(`out-${b.id}`), allowLinks: b.allowLinks, workers: 1}),
            (err: Error & {exitCode?: number}) => err.exitCode === 3,
            b.id,
          )
        }),
      )
    }
  })

  it('a directory of shards with one hostile shard is refused too', async () => {
    const b = list.find((x) => x.id === '1-global-nul-size')!
    const dir = at('shards-1')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'b.tar'), b.tar)
    const v = await runCli(['dataset', 'verify', dir, '--manifest', at(`m-${b.id}`), '--unsigned', '--format', 'tar-shards'])
    assert.equal(v.code, 3, v.stdout + v.stderr)
    assert.match(v.stderr, /E_DATASET_TAR_(MALFORMED|UNSUPPORTED)/)
  })

  const py = pythons()
  it('each construction is real: GNU tar or Python extracts other bytes than the signed ones', {
    skip: py.length === 0 ? 'python3 not installed' : false,
  }, () => {
    const archives = list.map((b) => at(`${b.id}.tar${b.gzip ? '.gz' : ''}`))
    const runs = py.map((p, i) => {
      const work = at(`extract-${i}`)
      mkdirSync(work)
      return extractAll(p, work, archives)
    })
    for (const b of list) {
      const name = at(`${b.id}.tar${b.gzip ? '.gz' : ''}`)
      // Any Python in either mode, or GNU tar, that extracts without error but lands other bytes.
      const differs = runs.some((got) => Object.values(got[name]).some((r) => r?.ok && !sameTree(r.tree, b.signed)))
      assert.ok(differs, `${b.id}: no extractor lands other bytes; the construction is not a bypass`)
    }
  })
})

function sameTree(tree: Tree, files: Record<string, string>): boolean {
  const want = Object.keys(files).sort()
  const have = Object.keys(tree).sort()
  if (want.join('\n') !== have.join('\n')) return false
  return want.every((p) => {
    const t = tree[p]
    return t.sha256 === createHash('sha256').update(files[p]).digest('hex')
  })
}
