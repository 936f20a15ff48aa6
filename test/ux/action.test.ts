/**
 * action.yml: the composite action's run step, executed as GitHub Actions would (inputs as
 * environment, GITHUB_OUTPUT file) with this checkout's CLI on PATH: sign, verify, a tampered
 * model failing, scan, and an unknown command.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {parse} from 'yaml'

import {repoRoot, runCli, tempDir} from '../helpers/cli.js'

interface Step {
  id?: string
  name: string
  env?: Record<string, string>
  run: string
}
const action = parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  inputs: Record<string, {default?: string; required?: boolean}>
  outputs: Record<string, {value: string}>
  runs: {using: string; steps: Step[]}
}
const tmp = tempDir('modelseal-action-')
after(() => tmp.cleanup())
const bin = path.join(tmp.dir, '.bin')
mkdirSync(bin)
writeFileSync(path.join(bin, 'modelseal'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'bin', 'run.js')}" "$@"\n`)
chmodSync(path.join(bin, 'modelseal'), 0o755)

/** Runs the action's "run" step with these inputs; returns its exit code and outputs. */
function runAction(inputs: Record<string, string>): {code: number | null; outputs: Record<string, string>; log: string} {
  const step = action.runs.steps.find((s) => s.id === 'run') as Step
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(step.env ?? {})) {
    const m = /^\$\{\{\s*inputs\.([a-z-]+)\s*\}\}$/.exec(v)
    assert.ok(m, `env ${k} comes from an input`)
    env[k] = inputs[m[1]] ?? action.inputs[m[1]]?.default ?? ''
  }
  const outFile = path.join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`)
  writeFileSync(outFile, '')
  const r = spawnSync('bash', ['-c', step.run], {
    cwd: tmp.dir,
    encoding: 'utf8',
    env: {...process.env, ...env, PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: outFile, RUNNER_TEMP: tmp.dir, NO_COLOR: '1', MODELSEAL_NO_PROGRESS: '1'},
  })
  const outputs = Object.fromEntries(
    readFileSync(outFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  )
  return {code: r.status, outputs, log: r.stdout + r.stderr}
}

test('action.yml is a composite action whose inputs all reach the run step', () => {
  assert.equal(action.runs.using, 'composite')
  const used = JSON.stringify(action.runs.steps)
  for (const name of Object.keys(action.inputs)) assert.ok(used.includes(`inputs.${name}`), `input ${name} is used`)
})

test('action: sign key, verify key, a tampered model fails, scan; outputs carry the exit code and the JSON report', async () => {
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), path.join(tmp.dir, 'model'), {recursive: true})
  assert.equal((await runCli(['keys', 'generate', '--private-key', 'k.pem', '--public-key', 'k.pub'], {cwd: tmp.dir})).code, 0)
  let r = runAction({command: 'sign', method: 'key', model: 'model', 'private-key': 'k.pem', signature: 'model.sig'})
  assert.equal(r.code, 0, r.log)
  assert.equal(r.outputs['exit-code'], '0')
  assert.equal(JSON.parse(readFileSync(r.outputs.report, 'utf8')).signed, true)
  r = runAction({command: 'verify', method: 'key', model: 'model', 'public-key': 'k.pub', signature: 'model.sig'})
  assert.equal(r.code, 0, r.log)
  writeFileSync(path.join(tmp.dir, 'model', 'config.json'), '{"tampered": true}')
  r = runAction({command: 'verify', method: 'key', model: 'model', 'public-key': 'k.pub', signature: 'model.sig'})
  assert.equal(r.code, 1, r.log)
  assert.equal(r.outputs['exit-code'], '1')
  r = runAction({command: 'scan', model: 'model\n'})
  assert.equal(r.code, 0, r.log)
  r = runAction({command: 'deploy', model: 'model'})
  assert.equal(r.code, 2)
  assert.match(r.log, /unknown command 'deploy'/)
})
