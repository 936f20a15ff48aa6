/**
 * `policy lint` checks the trust files a policy names (so `policy check` cannot fail later on a
 * missing trusted root) and takes several files, as `policy lint policies/*.yaml` gives them.
 */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {parseJson, repoRoot, runCli, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-lint-')
after(() => tmp.cleanup())
const d = tmp.dir

test('a missing or malformed trusted root is a lint error; with every trust file present, lint passes', async () => {
  cpSync(path.join(repoRoot, 'policies', 'production.yaml'), path.join(d, 'production.yaml'))
  mkdirSync(path.join(d, 'keys'))
  for (const k of ['release', 'scanner', 'data-team']) {
    const r = await runCli(['keys', 'generate', '--private-key', `${k}.pem`, '--public-key', `keys/${k}.pub`], {cwd: d})
    assert.equal(r.code, 0, r.stderr)
  }
  let r = await runCli(['policy', 'lint', 'production.yaml'], {cwd: d})
  assert.equal(r.code, 3)
  assert.match(r.stdout, /spec\.trust\.trustedRoot: trusted root: cannot read trusted root .*trusted_root\.json.*\[TRUSTED_ROOT_UNUSABLE\]/)
  mkdirSync(path.join(d, 'trust'))
  writeFileSync(path.join(d, 'trust', 'trusted_root.json'), '{"mediaType": "application/json"}')
  r = await runCli(['policy', 'lint', 'production.yaml', '--json'], {cwd: d})
  assert.equal(r.code, 3)
  assert.ok(parseJson(r).issues.some((i: {code: string}) => i.code === 'TRUSTED_ROOT_UNUSABLE'))
  r = await runCli(['trusted-root', '--offline', '--output', 'trust/trusted_root.json'], {cwd: d})
  assert.equal(r.code, 0, r.stderr)
  r = await runCli(['policy', 'lint', 'production.yaml'], {cwd: d})
  assert.equal(r.code, 0, r.stdout + r.stderr)
  // ... and check gets past loading the trust files (it denies for lack of evidence, exit 1).
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), path.join(d, 'model'), {recursive: true})
  r = await runCli(['policy', 'check', 'model', '--policy', 'production.yaml'], {cwd: d})
  assert.equal(r.code, 1, r.stdout + r.stderr)
})

test('several files: each is reported, the exit code is the worst, --json lists one report per file', async () => {
  writeFileSync(path.join(d, 'broken.yaml'), 'apiVersion: modelseal.dev/v1alpha1\nkind: ModelPolicy\nspec: {}\n')
  let r = await runCli(['policy', 'lint', 'production.yaml', 'broken.yaml'], {cwd: d})
  assert.equal(r.code, 3)
  assert.match(r.stdout, /^OK: production\.yaml/m)
  assert.match(r.stdout, /^INVALID: broken\.yaml/m)
  r = await runCli(['policy', 'lint', 'production.yaml', 'broken.yaml', '--json'], {cwd: d})
  const j = parseJson(r)
  assert.equal(j.ok, false)
  assert.deepEqual(
    j.reports.map((x: {file: string; ok: boolean}) => [x.file, x.ok]),
    [
      ['production.yaml', true],
      ['broken.yaml', false],
    ],
  )
  r = await runCli(['policy', 'lint', 'production.yaml', 'production.yaml'], {cwd: d})
  assert.equal(r.code, 0)
  assert.ok(readFileSync(path.join(d, 'production.yaml'), 'utf8').length > 0)
})
