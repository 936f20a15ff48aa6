/**
 * bin/run.js answers `--version` and a piped `--help` without loading oclif (start-up time,
 * bench/startup.mjs). These fast paths must print exactly what oclif itself prints.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {test} from 'node:test'

import {repoRoot} from '../helpers/cli.js'

const runJs = path.join(repoRoot, 'bin', 'run.js')
const fromSrc = process.env.MODELSEAL_TEST_FROM_SRC === '1'
const skip = fromSrc ? 'the fast paths live in bin/run.js (the build), not bin/dev.js' : false

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const e: Record<string, string | undefined> = {...process.env, ...env}
  for (const k of ['FORCE_COLOR', 'COLORTERM', 'CI', 'TF_BUILD', 'OCLIF_COLUMNS']) if (!(k in env)) delete e[k]
  return spawnSync(process.execPath, args, {cwd: repoRoot, env: e as NodeJS.ProcessEnv, encoding: 'utf8'})
}

/** The same arguments through oclif's own execute(), bypassing bin/run.js. */
function viaOclif(args: string[]) {
  const dir = pathToFileURL(runJs).href
  const code = `import {execute} from '@oclif/core'; await execute({dir: ${JSON.stringify(dir)}, args: ${JSON.stringify(args)}})`
  return run(['--input-type=module', '-e', code], {NO_COLOR: '1'})
}

test('--version prints what oclif prints', {skip}, () => {
  const fast = run([runJs, '--version'])
  const slow = viaOclif(['--version'])
  assert.equal(fast.status, 0, fast.stderr)
  assert.equal(slow.status, 0, slow.stderr)
  assert.equal(fast.stdout, slow.stdout)
  assert.match(fast.stdout, /^modelseal\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+/)
})

test('piped --help prints what oclif renders, with this Node version', {skip}, () => {
  const manifest = path.join(repoRoot, 'oclif.manifest.json')
  const fast = run([runJs, '--help'], {NO_COLOR: '1'})
  const slow = viaOclif(['--help'])
  assert.equal(fast.status, 0, fast.stderr)
  assert.equal(fast.stdout, slow.stdout)
  assert.ok(fast.stdout.includes(`node-${process.version}`), 'the VERSION line names the running Node')
  // The build stores the rendered help in the manifest (otherwise the fast path is never taken).
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8'))
    assert.equal(typeof m.modelsealRootHelp, 'string', 'oclif.manifest.json has no cached root help')
    assert.ok(m.modelsealRootHelp.includes('{{userAgent}}'))
  }
})

test('with colours forced, --help goes through oclif (the cached text has none)', {skip}, () => {
  const forced = run([runJs, '--help'], {FORCE_COLOR: '1'})
  assert.equal(forced.status, 0, forced.stderr)
  assert.ok(forced.stdout.includes('\x1b['), 'no colours: the cached (colourless) help was printed')
  const plain = run([runJs, '--help'], {NO_COLOR: '1'})
  assert.equal(forced.stdout.replace(/\x1b\[[0-9;]*m/g, ''), plain.stdout)
})
