/** The evidence module's view of a model: every file on disk, exact exclusions, a computed identity. */
import assert from 'node:assert/strict'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {LocalModel} from '../../src/evidence/model.js'
import {compareWithModel, verifyModelSignature} from '../../src/evidence/signature.js'
import {buildTrustContext, verifyAgainstIdentities} from '../../src/evidence/trust.js'
import {signModel} from '../../src/oms/sign.js'
import {tempDir} from '../helpers/cli.js'
import {keySigner, makeKey, makeModel} from '../policy/fixtures.js'

const tmp = tempDir('modelseal-evidence-')
after(() => tmp.cleanup())

test('LocalModel lists every file (git paths included), excludes only the exact files named, refuses a symlinked root', async () => {
  const model = makeModel(path.join(tmp.dir, 'm'), {'w.bin': 'w', '.git/HEAD': 'ref', 'sub/x.txt': 'x', 'ev/scan.json': '{}'})
  const all = new LocalModel(model)
  assert.deepEqual(all.files.map((f) => f.path).sort(), ['.git/HEAD', 'ev/scan.json', 'sub/x.txt', 'w.bin'])
  const some = new LocalModel(model, [path.join(model, 'ev', 'scan.json'), path.join(model, 'sub'), path.join(tmp.dir, 'elsewhere.json')])
  // Paths outside the model are dropped; what remains is left out as named (callers pass only
  // the files of evidence that verified — never a directory).
  assert.deepEqual(some.excluded, ['ev/scan.json', 'sub'])
  assert.notEqual(await all.identity(), await new LocalModel(model, [path.join(model, 'ev', 'scan.json')]).identity())
  const link = path.join(tmp.dir, 'link')
  symlinkSync(model, link)
  assert.throws(
    () => new LocalModel(link),
    (e: any) => e.code === 'E_MODEL_SYMLINK' && e.exitCode === 3,
  )
})

test('compareWithModel: files the signer ignored are unsigned, and reported as ignored by the signer', async () => {
  const k = makeKey(path.join(tmp.dir, 'keys'), 'k')
  const model = makeModel(path.join(tmp.dir, 'm2'), {'w.bin': 'w'})
  mkdirSync(path.join(model, 'cache'))
  const sig = path.join(tmp.dir, 'm2.sig')
  await signModel(model, {signer: keySigner(k), signaturePath: sig, ignorePaths: [path.join(model, 'cache')]})
  writeFileSync(path.join(model, 'cache', 'p.pkl'), 'payload')
  writeFileSync(path.join(model, 'extra.bin'), 'unsigned')
  const ctx = buildTrustContext({identities: new Map([['k', {name: 'k', spec: {kind: 'key', path: k.pub}}]]), at: new Date()})
  const v = await verifyModelSignature(sig, (b, o) => verifyAgainstIdentities(b, ctx, o))
  assert.ok(!('problem' in v))
  const ev = await compareWithModel(v, new LocalModel(model))
  assert.deepEqual(ev.contentProblems, [])
  assert.deepEqual(ev.unsignedFiles, ['cache/p.pkl', 'extra.bin'])
  assert.deepEqual(ev.signerIgnored, ['cache/p.pkl'])
  assert.match(ev.signerKeys[0], /^key:[0-9a-f]{64}$/)
})
