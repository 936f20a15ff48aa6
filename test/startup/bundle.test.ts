/**
 * bin/run.js runs commands from dist/cli.cjs (scripts/bundle.mjs: oclif, the commands and the
 * library in one file) to start faster. The bundle must behave exactly like the compiled files:
 * same output, same exit code; and it must never run when it is older than dist/ (a tsc-only build).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import nodeModule, {createRequire} from 'node:module'
import vm from 'node:vm'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {repoRoot} from '../helpers/cli.js'

// The installed `modelseal` command (package.json "bin"); bin/run.js only hands over to it.
const runJs = path.join(repoRoot, 'bin', 'run.cjs')
const bundle = path.join(repoRoot, 'dist', 'cli.cjs')
const fromSrc = process.env.MODELSEAL_TEST_FROM_SRC === '1'
const skip = fromSrc ? 'the bundle is used by bin/run.js (the build), not bin/dev.js' : false

function run(entry: string, args: string[], env: Record<string, string> = {}, cwd = repoRoot) {
  const e: Record<string, string | undefined> = {...process.env, NO_COLOR: '1', MODELSEAL_NO_PROGRESS: '1', ...env}
  for (const k of ['FORCE_COLOR', 'COLORTERM', 'OCLIF_COLUMNS', 'MODELSEAL_NO_BUNDLE']) if (!(k in env)) delete e[k]
  const r = spawnSync(process.execPath, [entry, ...args], {cwd, env: e as NodeJS.ProcessEnv, encoding: 'utf8'})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

let work: string
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'modelseal-bundle-'))
  mkdirSync(path.join(work, 'model'))
  writeFileSync(path.join(work, 'model', 'weights.bin'), 'weights')
  writeFileSync(path.join(work, 'model', 'config.json'), '{}')
})
after(() => rmSync(work, {recursive: true, force: true}))

test('the build wrote a bundle newer than dist/', {skip}, () => {
  assert.ok(existsSync(bundle), 'dist/cli.cjs is missing: `npm run build` makes it')
  const compiled = statSync(path.join(repoRoot, 'dist', 'src', 'errors.js'))
  assert.ok(statSync(bundle).mtimeMs >= compiled.mtimeMs, 'dist/cli.cjs is older than dist/: run `npm run build`')
})

test('commands print the same output and exit codes bundled and unbundled', {skip}, () => {
  const model = path.join(work, 'model')
  const key = path.join(work, 'key.pem')
  const pub = path.join(work, 'key.pub')
  const sig = path.join(work, 'model.sig')
  const gen = run(runJs, ['keys', 'generate', '--private-key', key, '--public-key', pub])
  assert.equal(gen.status, 0, gen.stderr)
  const signed = run(runJs, ['sign', 'key', model, '--private-key', key, '--signature', sig])
  assert.equal(signed.status, 0, signed.stderr)
  // A bundle that is JSON but not a Sigstore bundle: read by the Sigstore packages, which stay
  // outside dist/cli.cjs and are loaded on demand.
  const notABundle = path.join(work, 'not-a-bundle.json')
  writeFileSync(notABundle, '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}')
  const cases: string[][] = [
    ['verify', 'sigstore', model, '--signature', notABundle, '--identity', 'a@b.c', '--identity-provider', 'https://issuer.example', '--offline', '--json'],
    ['digest', model],
    ['digest', model, '--json', '--method', 'shards', '--shard-size', '3'],
    ['verify', 'key', model, '--signature', sig, '--public-key', pub, '--json'],
    ['verify', 'key', model, '--signature', sig, '--public-key', key],
    ['digest', path.join(work, 'missing')],
    ['digest', path.join(work, 'missing'), '--json'],
    ['digest', model, '--bogus'],
    ['digest', model, '--method', 'nope', '--json'],
    ['verify', 'key'],
    ['sign'],
    ['no-such-command', 'x'],
  ]
  for (const args of cases) {
    const bundled = run(runJs, args)
    const unbundled = run(runJs, args, {MODELSEAL_NO_BUNDLE: '1'})
    assert.deepEqual(bundled, unbundled, `modelseal ${args.join(' ')}`)
  }
  // The build (or, on another Node, the first run) left a code cache for this Node.
  assert.ok(existsSync(`${bundle}.${process.version}-${process.arch}.cache`), 'no code cache for this Node beside dist/cli.cjs')
})

test('scan prints the same bundled and unbundled, and node:zlib / node:worker_threads / node:crypto / node:fs/promises load only when used', {skip}, () => {
  // scripts/bundle.mjs makes these built-ins load on first use (deferBuiltins, and oclif's
  // readJson and wsl-utils rewritten): a deflated .npz and a checkpoint with a payload need
  // node:zlib, a tiny ONNX model none of them. The scan's timings use process.hrtime
  // (src/util/clock.ts): the global `performance` would load perf_hooks.
  const weights = path.join(repoRoot, 'testdata', 'weights')
  const tiny = path.join(repoRoot, 'testdata', 'onnx', 'benign_last_token.onnx')
  for (const file of [tiny, path.join(weights, 'clean-compressed.npz'), path.join(weights, 'torch-payload-storage.pt')]) {
    const bundled = run(runJs, ['scan', file])
    const unbundled = run(runJs, ['scan', file], {MODELSEAL_NO_BUNDLE: '1'})
    assert.deepEqual(bundled, unbundled, `modelseal scan ${file}`)
  }
  // --exclude loads picomatch when given (src/scan/exclude.ts), and matches as unbundled
  const dir = path.join(work, 'exclude')
  mkdirSync(dir, {recursive: true})
  copyFileSync(tiny, path.join(dir, 'kept.onnx'))
  copyFileSync(tiny, path.join(dir, 'dropped.onnx'))
  for (const args of [
    ['scan', dir, '--exclude', 'drop*'],
    ['scan', dir, '--exclude', ' '],
  ]) {
    const bundled = run(runJs, args)
    assert.deepEqual(bundled, run(runJs, args, {MODELSEAL_NO_BUNDLE: '1'}), `modelseal ${args.join(' ')}`)
    if (args.includes('drop*')) assert.match(bundled.stdout, /1 scanned, .*1 skipped/)
    else assert.equal(bundled.status, 2, bundled.stderr)
  }
  const loaded = (file: string) => {
    const list = path.join(work, 'modules.txt')
    const hook = path.join(work, 'module-list.cjs')
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')))`)
    const r = run(runJs, ['scan', file], {NODE_OPTIONS: `--require ${hook}`})
    assert.ok(r.status === 0 || r.status === 1, r.stderr)
    return readFileSync(list, 'utf8').split('\n')
  }
  const small = loaded(tiny)
  assert.ok(!small.includes('NativeModule zlib'), 'a tiny ONNX scan loaded node:zlib')
  assert.ok(!small.includes('NativeModule worker_threads'), 'a tiny ONNX scan loaded node:worker_threads')
  assert.ok(!small.includes('NativeModule crypto'), 'a tiny ONNX scan loaded node:crypto')
  assert.ok(!small.includes('NativeModule fs/promises'), 'a tiny ONNX scan loaded node:fs/promises')
  assert.ok(!small.includes('NativeModule perf_hooks'), 'a tiny ONNX scan loaded node:perf_hooks')
  // stdout and stderr are pipes here: written through bin/run.cjs lightStdio, no net.Socket
  assert.ok(!small.includes('NativeModule net'), 'a tiny ONNX scan made a net.Socket for stdout or stderr')
  assert.ok(loaded(path.join(weights, 'clean-compressed.npz')).includes('NativeModule zlib'), 'the deflated .npz was read without node:zlib?')
})

test('bin/run.cjs takes the bundle only for commands, and only when it is up to date', {skip}, () => {
  // An install-like copy whose bundle only says that it ran.
  const inst = path.join(work, 'inst')
  mkdirSync(path.join(inst, 'bin'), {recursive: true})
  mkdirSync(path.join(inst, 'dist'))
  copyFileSync(runJs, path.join(inst, 'bin', 'run.cjs'))
  copyFileSync(path.join(repoRoot, 'bin', 'run.js'), path.join(inst, 'bin', 'run.js'))
  copyFileSync(path.join(repoRoot, 'package.json'), path.join(inst, 'package.json'))
  copyFileSync(path.join(repoRoot, 'oclif.manifest.json'), path.join(inst, 'oclif.manifest.json'))
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(inst, 'node_modules'))
  for (const d of ['src', 'commands']) symlinkSync(path.join(repoRoot, 'dist', d), path.join(inst, 'dist', d))
  const fake = path.join(inst, 'dist', 'cli.cjs')
  writeFileSync(fake, `exports.main = async (argv) => { process.stdout.write('bundle ' + argv.join(' ') + '\\n'); return true }\n`)
  const entry = path.join(inst, 'bin', 'run.cjs')
  const model = path.join(work, 'model')

  assert.equal(run(entry, ['digest', model]).stdout, `bundle digest ${model}\n`)
  // bin/run.js (named by scripts and docs) is the same launcher
  assert.equal(run(path.join(inst, 'bin', 'run.js'), ['digest', model]).stdout, `bundle digest ${model}\n`)
  assert.equal(run(entry, ['sign', 'key', model, '--json']).stdout, `bundle sign key ${model} --json\n`)
  // help, global flags and the opt-out go to oclif itself
  for (const [args, env] of [
    [['digest', '--help'], {}],
    [['help', 'digest'], {}],
    [['--version'], {}],
    [['digest', model], {MODELSEAL_NO_BUNDLE: '1'}],
  ] as Array<[string[], Record<string, string>]>) {
    const r = run(entry, args, env)
    assert.ok(!r.stdout.startsWith('bundle'), `${args.join(' ')} ran from the bundle`)
    assert.equal(r.status, 0, r.stderr)
  }
  // A bundle older than dist/ (tsc ran after it) is never used.
  const compiled = statSync(path.join(repoRoot, 'dist', 'src', 'errors.js')).mtime
  const older = new Date(compiled.getTime() - 60_000)
  utimesSync(fake, older, older)
  const stale = run(entry, ['digest', model])
  assert.equal(stale.status, 0, stale.stderr)
  assert.match(stale.stdout, /^sha256:[0-9a-f]{64}\n$/)
})

test('bundles and code caches: each cache the build wrote is accepted by this Node, a bad one only costs time', {skip}, () => {
  const dist = path.dirname(bundle)
  // what bin/run.cjs compiles (module.wrap is not in @types/node's Module typings)
  const wrap = (nodeModule as unknown as {wrap: (s: string) => string}).wrap
  const tag = `${process.version}-${process.arch}`
  // dist/cli.cjs (every command) and the frequent commands' own bundles, each with the cache the
  // build wrote (a run on another Node writes the one it loaded)
  const bundles = readdirSync(dist).filter((f) => /^cli(\.[a-z0-9-]+)?\.cjs$/.test(f))
  for (const f of ['cli.cjs', 'cli.digest.cjs', 'cli.verify-key.cjs', 'cli.scan.cjs']) assert.ok(bundles.includes(f), f)
  const built = createRequire(import.meta.url)(bundle).builtWith === tag
  if (!built) run(runJs, ['digest', path.join(work, 'model')])
  for (const f of built ? bundles : ['cli.digest.cjs']) {
    const cache = path.join(dist, `${f}.${tag}.cache`)
    assert.ok(existsSync(cache), `no ${cache}`)
    const script = new vm.Script(wrap(readFileSync(path.join(dist, f), 'latin1')), {filename: f, cachedData: readFileSync(cache)})
    assert.equal(script.cachedDataRejected, false, `${cache} rejected`)
  }

  // An install-like copy with the real bundles and a damaged cache for `digest`: the run prints the
  // same digest, and leaves a cache V8 accepts.
  const inst = path.join(work, 'inst-cache')
  mkdirSync(path.join(inst, 'bin'), {recursive: true})
  mkdirSync(path.join(inst, 'dist'))
  for (const f of ['run.cjs', 'run.js']) copyFileSync(path.join(repoRoot, 'bin', f), path.join(inst, 'bin', f))
  for (const f of ['package.json', 'oclif.manifest.json']) copyFileSync(path.join(repoRoot, f), path.join(inst, f))
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(inst, 'node_modules'))
  for (const d of ['src', 'commands']) symlinkSync(path.join(repoRoot, 'dist', d), path.join(inst, 'dist', d))
  for (const f of bundles) copyFileSync(path.join(dist, f), path.join(inst, 'dist', f))
  const own = path.join(inst, 'dist', `cli.digest.cjs.${tag}.cache`)
  writeFileSync(own, 'not a code cache')
  const model = path.join(work, 'model')
  const expected = run(runJs, ['digest', model])
  assert.deepEqual(run(path.join(inst, 'bin', 'run.cjs'), ['digest', model]), expected)
  const source = wrap(readFileSync(path.join(dist, 'cli.digest.cjs'), 'latin1'))
  assert.equal(new vm.Script(source, {filename: 'cli.digest.cjs', cachedData: readFileSync(own)}).cachedDataRejected, false)
  // a command without a bundle of its own runs from dist/cli.cjs; an own bundle never runs another command
  assert.deepEqual(run(path.join(inst, 'bin', 'run.cjs'), ['digest', model, '--json']), run(runJs, ['digest', model, '--json'], {MODELSEAL_NO_BUNDLE: '1'}))
  rmSync(path.join(inst, 'dist', 'cli.cjs'))
  assert.equal(run(path.join(inst, 'bin', 'run.cjs'), ['digest', model]).stdout, expected.stdout)
  assert.equal(run(path.join(inst, 'bin', 'run.cjs'), ['inspect', model]).status, run(runJs, ['inspect', model]).status)
})

test('DEBUG still turns on oclif debug output from the bundle (its logger loads `debug` only then)', {skip}, () => {
  const model = path.join(work, 'model')
  for (const env of [{DEBUG: 'oclif:main'}, {DEBUG: 'oclif:main', MODELSEAL_NO_BUNDLE: '1'}] as Record<string, string>[]) {
    const r = run(runJs, ['digest', model], env)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /oclif:main process\.argv/, JSON.stringify(env))
  }
  assert.doesNotMatch(run(runJs, ['digest', model]).stderr, /oclif:/)
})

test('a user theme (oclif theme.json, read through node:fs in the bundle) colours --json output as unbundled', {skip}, () => {
  const config = path.join(work, 'xdg')
  mkdirSync(path.join(config, 'modelseal'), {recursive: true})
  writeFileSync(path.join(config, 'modelseal', 'theme.json'), '{"json": {"brace": "red", "key": "green", "string": "yellow"}}')
  const model = path.join(work, 'model')
  // colours forced (run() turns them off)
  const coloured = (env: Record<string, string>) => {
    const e: Record<string, string | undefined> = {...process.env, MODELSEAL_NO_PROGRESS: '1', XDG_CONFIG_HOME: config, FORCE_COLOR: '1', ...env}
    for (const k of ['NO_COLOR', 'COLORTERM', 'OCLIF_COLUMNS', 'MODELSEAL_NO_BUNDLE']) if (!(k in env)) delete e[k]
    const r = spawnSync(process.execPath, [runJs, 'digest', model, '--json'], {cwd: repoRoot, env: e as NodeJS.ProcessEnv, encoding: 'utf8'})
    return {status: r.status, stdout: r.stdout, stderr: r.stderr}
  }
  const bundled = coloured({})
  assert.equal(bundled.status, 0, bundled.stderr)
  assert.match(bundled.stdout, /\u001b\[31m\{/, 'the theme was not read: braces not red')
  assert.deepEqual(bundled, coloured({MODELSEAL_NO_BUNDLE: '1'}))
  // a malformed theme is ignored alike
  writeFileSync(path.join(config, 'modelseal', 'theme.json'), '{"json": ')
  assert.deepEqual(coloured({}), coloured({MODELSEAL_NO_BUNDLE: '1'}))
})
