/**
 * Golden output: the CLI's text and JSON for the demo, a scan, a policy check and a dataset
 * manifest, byte for byte after volatile fields (temporary paths, times, durations, fresh key
 * ids) are replaced by placeholders. A refactoring must leave them unchanged; an intended change
 * of output regenerates them with MODELSEAL_UPDATE_GOLDEN=1 (then review the diff of
 * testdata/golden/ like any other change).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {repoRoot, runCli, tempDir} from './helpers/cli.js'

const GOLDEN_DIR = path.join(repoRoot, 'testdata', 'golden')
const UPDATE = process.env.MODELSEAL_UPDATE_GOLDEN === '1'

const tmp = tempDir('modelseal-golden-')
after(tmp.cleanup)
const at = (...p: string[]) => path.join(tmp.dir, ...p)
const AT = '2026-12-01T00:00:00Z'

/** Values that differ between runs, each replaced everywhere by its placeholder. */
const volatile = new Map<string, string>()

function normalise(text: string): string {
  let out = text
  // Whole values first, then the 16-character prefixes messages abbreviate them to.
  for (const [value, label] of volatile) out = out.split(value).join(label)
  for (const [value, label] of volatile) out = out.split(value.slice(0, 16)).join(`${label.slice(0, -1)}-PREFIX>`)
  return (
    out
      .replace(/\/tmp\/modelseal-demo-[A-Za-z0-9]+/g, '<TMP>')
      .split(tmp.dir)
      .join('<TMP>')
      .split(repoRoot)
      .join('<REPO>')
      // ISO times other than the fixed evaluation time
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, (t) => (t.startsWith(AT.slice(0, 19)) ? t : '<TIME>'))
      .replace(/"(\w*Ms|ms)": \d+(\.\d+)?/g, (_m, key) => `"${key}": <MS>`)
      // The signer's canonical key identity (SPKI digest) changes with the per-run key.
      .replace(/"keyIdentity": "[0-9a-f]{64}"/g, '"keyIdentity": "<KEY-IDENTITY>"')
      .replace(/\b\d+(\.\d+)? ?ms\b/g, '<MS>')
  )
}

function check(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name)
  const text = `${normalise(actual).trimEnd()}\n`
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) assert.fail(`missing golden file testdata/golden/${name}: run with MODELSEAL_UPDATE_GOLDEN=1 to create it`)
    mkdirSync(GOLDEN_DIR, {recursive: true})
    writeFileSync(file, text)
    return
  }
  assert.equal(text, readFileSync(file, 'utf8'), `output differs from testdata/golden/${name} (MODELSEAL_UPDATE_GOLDEN=1 regenerates it)`)
}

async function cli(args: string[], expectedCode: number): Promise<string> {
  const r = await runCli(args, {env: {MODELSEAL_NO_PROGRESS: '1', NO_COLOR: '1'}})
  assert.equal(r.code, expectedCode, `${args.join(' ')}: ${r.stderr}`)
  return `$ modelseal ${args.join(' ')}\n${r.stdout}${r.stderr ? `[stderr]\n${r.stderr}` : ''}[exit ${r.code}]\n`
}

before(async () => {
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), at('model'), {recursive: true})
  const keys = await runCli(['keys', 'generate', '--private-key', at('release.pem'), '--public-key', at('release.pub'), '--json'])
  assert.equal(keys.code, 0, keys.stderr)
  const hint = /[0-9a-f]{64}/.exec(keys.stdout)?.[0]
  assert.ok(hint, keys.stdout)
  volatile.set(hint, '<KEY-ID>')
})

describe('golden output', () => {
  test('npm run demo', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'demo.mjs')], {cwd: repoRoot, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
    assert.equal(r.status, 0, r.stderr)
    // The demo's key is made and removed inside the script: its id is the only volatile value.
    const hint = /key hint \(sha256 of the public key PEM\): ([0-9a-f]{64})/.exec(r.stdout)?.[1]
    assert.ok(hint, r.stdout)
    check('demo.txt', r.stdout.split(hint).join('<DEMO-KEY-ID>').split(hint.slice(0, 16)).join('<DEMO-KEY-ID-PREFIX>'))
  })

  test('scan: a model directory and a backdoored ONNX graph, text and JSON', async () => {
    const onnx = path.join(repoRoot, 'testdata', 'onnx', 'backdoor_where.onnx')
    const out = [
      await cli(['scan', at('model')], 0),
      await cli(['scan', at('model'), '--json'], 0),
      await cli(['scan', onnx], 1),
      await cli(['scan', onnx, '--json'], 1),
    ]
    check('scan.txt', out.join('\n'))
  })

  test('policy check: allowed and denied, text and JSON', async () => {
    const sign = await runCli(['sign', 'key', at('model'), '--private-key', at('release.pem'), '--signature', at('model.sig')])
    assert.equal(sign.code, 0, sign.stderr)
    writeFileSync(
      at('policy.yaml'),
      [
        'apiVersion: modelseal.dev/v1alpha1',
        'kind: ModelPolicy',
        'metadata: {name: golden, version: 1.0.0}',
        'spec:',
        '  mode: enforce',
        '  expires: 2099-01-01T00:00:00Z',
        '  trust:',
        '    identities:',
        '      release-key: {key: {path: ./release.pub}}',
        '  requirements:',
        '    - id: model-signed',
        '      type: signature',
        '      signedBy: {anyOf: [release-key]}',
        '    - id: model-integrity',
        '      type: integrity',
        '      allowedAlgorithms: [sha256]',
        '      unsignedFiles: forbid',
        '    - id: scan-clean',
        '      type: scan',
        '      source: inline',
        '      maxSeverity: {default: medium}',
        // Documentation and tokenizer files are no model format: the scan lists them as skipped.
        "      skippable: ['*.md', '*.json']",
        '',
      ].join('\n'),
    )
    const args = ['policy', 'check', at('model'), '--policy', at('policy.yaml'), '--signature', at('model.sig'), '--at', AT]
    const out = [await cli(args, 0), await cli([...args, '--json'], 0)]
    writeFileSync(at('model', 'extra.py'), 'import os\n')
    out.push(await cli(args, 1), await cli([...args, '--json'], 1))
    check('policy-check.txt', out.join('\n'))
  })

  test('dataset manifest: the JSON report and the manifest it writes', async () => {
    const data = path.join(repoRoot, 'testdata', 'dataset', 'tree')
    const out = [await cli(['dataset', 'manifest', data, '--output', at('manifest'), '--name', 'golden', '--json'], 0)]
    out.push(`manifest.json:\n${readFileSync(at('manifest', 'manifest.json'), 'utf8')}`)
    out.push(await cli(['dataset', 'verify', data, '--manifest', at('manifest'), '--unsigned'], 0))
    check('dataset-manifest.txt', out.join('\n'))
  })
})
