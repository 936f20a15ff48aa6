import assert from 'node:assert/strict'
import {test} from 'node:test'

import {runCli} from './helpers/cli.js'

test('--version prints the version and exits 0', async () => {
  const r = await runCli(['--version'])
  assert.equal(r.code, 0)
  assert.match(r.stdout, /^modelseal\/\d+\.\d+\.\d+/)
})

test('an unknown command is a usage error (exit 2)', async () => {
  const r = await runCli(['no-such-command'])
  assert.equal(r.code, 2, r.stderr)
})
