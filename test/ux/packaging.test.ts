/**
 * The npm package holds a working CLI: dist/ and the command manifest (built by `prepare`, which
 * npm runs for `npm pack`, `npm publish` and installs from git), the LICENSE and the policies —
 * and nothing for development only (bin/dev.js, tests, fixtures).
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, symlinkSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {repoRoot, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-pack-')
after(() => tmp.cleanup())
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const hasNpm = spawnSync(npm, ['--version']).status === 0

test('package.json: prepare builds, metadata for the registry, no dev entry point shipped', () => {
  const pj = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))
  assert.match(pj.scripts.prepare, /npm run build/)
  assert.match(pj.scripts.build, /oclif-manifest/)
  assert.equal(pj.license, 'Apache-2.0')
  assert.match(readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/)
  for (const k of ['repository', 'homepage', 'bugs']) assert.ok(pj[k], `package.json has ${k}`)
  assert.ok(!pj.files.includes('bin'), 'the whole bin/ (with dev.js) is not shipped')
})

test('npm pack: the tarball runs as a CLI on its own', {skip: !hasNpm && 'npm not found'}, () => {
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const [info] = JSON.parse(out) as {filename: string; files: {path: string}[]}[]
  const files = info.files.map((f) => f.path)
  for (const want of [
    'bin/run.cjs',
    'bin/run.js',
    'dist/cli.cjs',
    'oclif.manifest.json',
    'LICENSE',
    'README.md',
    'dist/commands/sign/key.js',
    'dist/commands/attest/provenance.js',
    'dist/src/index.js',
    'policies/production.yaml',
    'action.yml',
  ]) {
    assert.ok(files.includes(want), `${want} is in the package`)
  }
  for (const f of files) assert.doesNotMatch(f, /^(bin\/dev\.js|dist\/test\/|testdata\/|test\/|src\/|commands\/)/, `${f} is not shipped`)
  execFileSync('tar', ['-xzf', path.join(tmp.dir, info.filename), '-C', tmp.dir])
  const pkg = path.join(tmp.dir, 'package')
  // Dependencies as an install would provide them (no network in tests).
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'), 'dir')
  // The installed `modelseal` is what package.json's bin names (bin/run.cjs).
  const bin = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')).bin.modelseal
  assert.equal(bin, './bin/run.cjs')
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(pkg, bin), ...args], {cwd: tmp.dir, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const help = run('sign', 'key', '--help')
  assert.equal(help.status, 0, help.stderr)
  assert.match(help.stdout, /--private-key/)
  const version = run('version', '--json')
  assert.equal(version.status, 0, version.stderr)
  assert.equal(JSON.parse(version.stdout).version, JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version)
})
