/**
 * The packed package, imported the way a user would: `npm pack` of the built tree, unpacked into
 * a fresh project's node_modules, then `import … from 'modelseal'` and the three sub-paths in a
 * separate node process. Internals are not reachable through the exports map.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'
import {pathToFileURL} from 'node:url'

import {repoRoot, tempDir} from './helpers/cli.js'

const tmp = tempDir('modelseal-pack-')
after(tmp.cleanup)
const project = path.join(tmp.dir, 'project')
const installed = path.join(project, 'node_modules', 'modelseal')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function runModule(source: string): {code: number | null; stdout: string; stderr: string} {
  const file = path.join(project, `t${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(file, source)
  const r = spawnSync(process.execPath, [file], {cwd: project, encoding: 'utf8', timeout: 120_000})
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

before(() => {
  assert.ok(existsSync(path.join(repoRoot, 'dist', 'src', 'index.js')), 'build first (npm run build)')
  // --ignore-scripts: pack what the test run built; a prepack build here would race other tests.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], {cwd: repoRoot, encoding: 'utf8'})
  const tarball = path.join(tmp.dir, JSON.parse(out)[0].filename)
  mkdirSync(installed, {recursive: true})
  execFileSync('tar', ['xzf', tarball, '-C', installed, '--strip-components=1'])
  // The package's runtime dependencies, as an install would provide them (no network in tests).
  const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'))
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const dest = path.join(project, 'node_modules', dep)
    mkdirSync(path.dirname(dest), {recursive: true})
    symlinkSync(path.join(repoRoot, 'node_modules', dep), dest, 'junction')
  }
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({name: 'user-project', private: true, type: 'module'}))
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), path.join(project, 'model'), {recursive: true})
})

describe('packed package', () => {
  test('the tarball holds the library, its types and the CLI, and no tests', () => {
    for (const f of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/public/scan.d.ts',
      'dist/src/public/dataset.d.ts',
      'dist/src/public/policy.d.ts',
      'bin/run.cjs',
      'bin/run.js',
      'dist/worker.cjs',
    ]) {
      assert.ok(existsSync(path.join(installed, f)), f)
    }
    assert.equal(existsSync(path.join(installed, 'dist', 'test')), false)
    assert.equal(existsSync(path.join(installed, 'src')), false)
  })

  test('sign, verify, scan, dataset and policy through the public entry points', () => {
    const r = runModule(`
      import {digestModel, signModel, verifyModel, writeKeyPair, VerificationError, ERROR_CODES} from 'modelseal'
      import {scanModel, allRules} from 'modelseal/scan'
      import {createManifest, verifyDataset} from 'modelseal/dataset'
      import {lintPolicy, loadPolicy} from 'modelseal/policy'
      import {writeFileSync, mkdirSync} from 'node:fs'

      const keys = {privateKeyPath: 'k.pem', publicKeyPath: 'k.pub'}
      writeKeyPair(keys)
      const {manifest} = await digestModel('model', {method: 'files', hashType: 'sha256'})
      const signed = await signModel('model', {signer: {method: 'key', privateKeyPath: keys.privateKeyPath}, signaturePath: 'model.sig'})
      const verified = await verifyModel('model', {signaturePath: 'model.sig', verifier: {method: 'key', publicKeyPath: keys.publicKeyPath}})
      writeFileSync('model/config.json', '{"tampered": true}')
      let refused = ''
      try {
        await verifyModel('model', {signaturePath: 'model.sig', verifier: {method: 'key', publicKeyPath: keys.publicKeyPath}})
      } catch (e) {
        refused = e instanceof VerificationError ? e.code : 'wrong error ' + e
      }
      const scan = await scanModel(['model'], {failOn: 'high'})
      mkdirSync('data')
      writeFileSync('data/a.txt', 'a')
      const ds = await createManifest('data', {output: 'manifest'})
      const dv = await verifyDataset('data', {manifest: 'manifest'})
      console.log(JSON.stringify({
        root: manifest.rootDigest, signedRoot: signed.manifest.rootDigest, verified: verified.verified, refused,
        scanned: scan.report.summary.files, rules: allRules().length > 10, codes: ERROR_CODES.includes('E_IO'),
        datasetFiles: ds.header.files ?? null, datasetOk: dv.ok, datasetRoot: dv.root === dv.actualRoot,
        policyLoader: typeof loadPolicy, lint: typeof lintPolicy,
      }))
    `)
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string)
    assert.equal(out.root, out.signedRoot)
    assert.equal(out.verified, true)
    assert.equal(out.refused, 'E_MODEL_MISMATCH')
    assert.ok(out.scanned >= 1)
    assert.equal(out.rules, true)
    assert.equal(out.codes, true)
    assert.equal(out.datasetOk, true)
    assert.equal(out.datasetRoot, true)
    assert.equal(out.policyLoader, 'function')
    assert.equal(out.lint, 'function')
  })

  test('every example in docs/library.md runs, in order, against the packed package', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs', 'library.md'), 'utf8')
    const blocks = [...doc.matchAll(/```js\n([^]*?)```/g)].map((m) => m[1])
    assert.ok(blocks.length >= 8, `only ${blocks.length} examples in docs/library.md`)
    // One module: hoist the imports, run the bodies in order; a failed console.assert throws.
    const imports: string[] = []
    const bodies: string[] = []
    for (const b of blocks) {
      const lines = b.split('\n')
      let i = 0
      while (i < lines.length && (lines[i].startsWith('import ') || lines[i] === '')) imports.push(lines[i++])
      bodies.push(`{\n${lines.slice(i).join('\n')}\n}`)
    }
    const dir = path.join(tmp.dir, 'docs-run')
    mkdirSync(dir)
    cpSync(path.join(repoRoot, 'testdata', 'demo-model'), path.join(dir, 'model'), {recursive: true})
    const names = new Map<string, Set<string>>()
    for (const line of imports.filter(Boolean)) {
      const m = /^import \{([^}]*)\} from '([^']+)'$/.exec(line)
      assert.ok(m, `example imports must be of the form import {…} from '…': ${line}`)
      const set = names.get(m[2]) ?? new Set<string>()
      for (const n of m[1].split(',')) set.add(n.trim())
      names.set(m[2], set)
    }
    const header = [...names].map(([from, set]) => `import {${[...set].join(', ')}} from '${from}'`).join('\n')
    const source =
      header +
      `\nconsole.assert = (ok, ...m) => { if (!ok) throw new Error('assertion failed ' + m.join(' ')) }\nprocess.chdir(${JSON.stringify(dir)})\n` +
      bodies.join('\n')
    const r = runModule(source)
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`)
  })

  test('the installed engine starts its worker threads from the worker bundle, and hashes as the library', () => {
    const engineUrl = pathToFileURL(path.join(installed, 'dist', 'src', 'workers', 'engine.js')).href
    const r = runModule(`
      import {digestModel} from 'modelseal'
      import {WorkerEngine} from ${JSON.stringify(engineUrl)}
      const engine = new WorkerEngine({workers: 1, mainLane: false}).warm()
      const {manifest} = await digestModel('model', {method: 'files', hashType: 'sha256', workers: 1})
      const {HashPool} = await import(${JSON.stringify(pathToFileURL(path.join(installed, 'dist', 'src', 'hashing', 'pool.js')).href)})
      const pool = new HashPool({engine})
      const files = manifest.resources.map((x) => 'model/' + x.name)
      const digests = await Promise.all(files.map(async (f) => (await pool.run([{path: f, alg: 'sha256'}]))[0].digest.toString('hex')))
      console.log(JSON.stringify({fromBundle: engine.stats.workersFromBundle, same: digests.every((d, i) => d === manifest.resources[i].digest)}))
      await engine.close()
    `)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout.trim()), {fromBundle: 1, same: true})
  })

  test('internals are not importable through the exports map', () => {
    const r = runModule(`
      try {
        await import('modelseal/dist/src/oms/resource-name.js')
        console.log('reachable')
      } catch (e) {
        console.log(e.code)
      }
    `)
    assert.equal(r.stdout.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED', r.stderr)
  })
})
