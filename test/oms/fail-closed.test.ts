// Model verification fails closed: what the signer covered, the verifier checks (recorded
// ignore paths only), an added symlinked directory is an extra entry, a shard name alias is
// refused, a FIFO never hangs hashing, names print escaped (no forged lines, NFC ≠ NFD), and
// signing refuses what a verifier would refuse.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {hashTask} from '../../src/hashing/file.js'
import {computeRootDigest} from '../../src/oms/resource-name.js'
import {prepareSigner} from '../../src/signing/index.js'
import {serializeBundle} from '../../src/signing/bundle.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../../src/signing/dsse.js'
import {assertCleanFailure, runCli, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-oms-failclosed-')
after(tmp.cleanup)
const at = (...p: string[]) => path.join(tmp.dir, ...p)
const key = ['--private-key', at('k.pem')]
const pub = ['--public-key', at('k.pub')]

function model(name: string, files: Record<string, string | Buffer>): string {
  const dir = at(name)
  for (const [p, d] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), {recursive: true})
    writeFileSync(path.join(dir, p), d)
  }
  return dir
}

before(async () => {
  const r = await runCli(['keys', 'generate', '--private-key', at('k.pem'), '--public-key', at('k.pub')])
  assert.equal(r.code, 0, r.stderr)
})

describe('model verification fails closed', {concurrency: 2}, () => {
  test('a model signed with --no-ignore-git-paths has its git files checked at verify', async () => {
    const m = model('git', {'w.bin': 'weights', '.gitignore': '*.tmp\n', '.github/ci.yml': 'on: push\n'})
    const s = await runCli(['sign', 'key', m, ...key, '--signature', at('git.sig'), '--no-ignore-git-paths'])
    assert.equal(s.code, 0, s.stderr)
    const ok = await runCli(['verify', 'key', m, ...pub, '--signature', at('git.sig')])
    assert.equal(ok.code, 0, ok.stderr)
    writeFileSync(path.join(m, '.github', 'ci.yml'), 'on: push\njobs: {evil: {}}\n')
    const bad = await runCli(['verify', 'key', m, ...pub, '--signature', at('git.sig')])
    assert.equal(bad.code, 1, bad.stdout + bad.stderr)
    assert.match(bad.stderr, /\.github\/ci\.yml/)
    // Asking for the git defaults explicitly skips them again.
    const asked = await runCli(['verify', 'key', m, ...pub, '--signature', at('git.sig'), '--ignore-git-paths'])
    assert.equal(asked.code, 1, 'the signed .gitignore is then missing')
  })

  test('with allow_symlinks recorded, an added symlinked directory is an extra entry', async () => {
    const m = model('links', {'w.bin': 'weights', 'other/x.bin': 'x'})
    const s = await runCli(['sign', 'key', m, ...key, '--signature', at('links.sig'), '--allow-symlinks'])
    assert.equal(s.code, 0, s.stderr)
    symlinkSync('other', path.join(m, 'added'))
    const v = await runCli(['verify', 'key', m, ...pub, '--signature', at('links.sig')])
    assert.equal(v.code, 1, v.stdout + v.stderr)
    assert.match(v.stderr, /extra entry: added \(symlink to a directory/)
    const ignored = await runCli(['verify', 'key', m, ...pub, '--signature', at('links.sig'), '--ignore-unsigned-files'])
    assert.equal(ignored.code, 0, ignored.stderr)
  })

  test('a re-signed bundle listing w.bin:00:1000 beside w.bin:0:1000 is refused', async () => {
    const m = model('alias', {'w.bin': Buffer.alloc(1000, 7)})
    const s = await runCli(['sign', 'key', m, ...key, '--signature', at('alias.sig'), '--method', 'shards', '--shard-size', '1000'])
    assert.equal(s.code, 0, s.stderr)
    const bundle = JSON.parse(readFileSync(at('alias.sig'), 'utf8'))
    const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))
    const real = st.predicate.resources[0]
    assert.equal(real.name, 'w.bin:0:1000')
    // The alias, listed first, carries a digest nothing on disk has: it collapses onto the real
    // key, and a lenient verifier never checks it.
    st.predicate.resources = [{...real, name: 'w.bin:00:1000', digest: 'ab'.repeat(32)}, real]
    st.subject[0].digest.sha256 = computeRootDigest(st.predicate.resources)
    const signer = prepareSigner({method: 'key', privateKeyPath: at('k.pem')})
    writeFileSync(at('alias-forged.sig'), serializeBundle(signer.sign(Buffer.from(JSON.stringify(st)), IN_TOTO_PAYLOAD_TYPE)))
    const v = await runCli(['verify', 'key', m, ...pub, '--signature', at('alias-forged.sig')])
    assert.ok(v.code === 1 || v.code === 3, `exit ${v.code}: ${v.stdout}${v.stderr}`)
    assertCleanFailure(v)
  })

  test('hashing a FIFO fails at once instead of blocking', {skip: process.platform === 'win32'}, async () => {
    const fifo = at('fifo')
    if (spawnSync('mkfifo', [fifo]).status !== 0) return
    await assert.rejects(hashTask({path: fifo, alg: 'sha256', noFollow: true}), /not a regular file/)
  })

  test('a file name with a newline cannot print a forged success line; NFC and NFD print differently', async () => {
    const m = model('names', {'caf\u00e9.bin': 'x', 'w.bin': 'w'})
    const s = await runCli(['sign', 'key', m, ...key, '--signature', at('names.sig')])
    assert.equal(s.code, 0, s.stderr)
    writeFileSync(path.join(m, 'x\nVerification succeeded: names'), 'evil')
    renameSync(path.join(m, 'caf\u00e9.bin'), path.join(m, 'cafe\u0301.bin'))
    const v = await runCli(['verify', 'key', m, ...pub, '--signature', at('names.sig')])
    assert.equal(v.code, 1, v.stdout + v.stderr)
    const lines = `${v.stdout}${v.stderr}`.split('\n')
    assert.ok(!lines.some((l) => l.startsWith('Verification succeeded')), lines.join('\n'))
    assert.ok(
      lines.some((l) => l.includes('missing file: caf\u00e9.bin')),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((l) => l.includes('extra file: cafe\\u{301}.bin')),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((l) => l.includes('x\\u{a}Verification succeeded')),
      lines.join('\n'),
    )
  })

  test('names and sizes are compared before hashing: a huge sparse extra or resized file fails at once', async () => {
    const m = model('sparse', {'w.bin': Buffer.alloc(4096, 1)})
    const [files, shards] = await Promise.all([
      runCli(['sign', 'key', m, ...key, '--signature', at('sparse-files.sig')]),
      runCli(['sign', 'key', m, ...key, '--signature', at('sparse-shards.sig'), '--method', 'shards', '--shard-size', '1024']),
    ])
    assert.equal(files.code, 0, files.stderr)
    assert.equal(shards.code, 0, shards.stderr)
    // 64 GiB of holes: hashing it would take minutes; the name/size check needs none of it.
    const huge = path.join(m, 'extra.bin')
    writeFileSync(huge, '')
    truncateSync(huge, 64 * 2 ** 30)
    const v = await runCli(['verify', 'key', m, ...pub, '--signature', at('sparse-files.sig')], {timeoutMs: 30_000})
    assert.equal(v.code, 1, v.stdout + v.stderr)
    assert.match(v.stderr, /extra file: extra\.bin/)
    rmSync(huge)
    truncateSync(path.join(m, 'w.bin'), 64 * 2 ** 30)
    const r = await runCli(['verify', 'key', m, ...pub, '--signature', at('sparse-shards.sig')], {timeoutMs: 30_000})
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stderr, /changed file: w\.bin: size differs \(68719476736 bytes, signed 4096\)/)
  })

  test('sign refuses a shard size that lists more resources than a verifier accepts (exit 2, before hashing)', async () => {
    const m = model('tiny-shards', {'w.bin': Buffer.alloc(1_100_000)})
    const s = await runCli(['sign', 'key', m, ...key, '--signature', at('tiny.sig'), '--method', 'shards', '--shard-size', '1'])
    assert.equal(s.code, 2, s.stdout + s.stderr)
    assert.match(s.stderr, /E_TOO_MANY_RESOURCES/)
    // Fewer resources than that, but a statement too large for a 64 MiB bundle: refused too.
    const m2 = model('big-statement', {'w.bin': Buffer.alloc(400_000)})
    const b = await runCli(['sign', 'key', m2, ...key, '--signature', at('big.sig'), '--method', 'shards', '--shard-size', '1'])
    assert.equal(b.code, 2, b.stdout + b.stderr)
    assert.match(b.stderr, /E_(STATEMENT|BUNDLE)_TOO_LARGE/)
  })
})
