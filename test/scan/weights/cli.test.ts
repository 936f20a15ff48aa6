import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {assertCleanFailure, parseJson, repoRoot, runCli} from '../../helpers/cli.js'

const fx = (n: string) => path.join(repoRoot, 'testdata', 'weights', n)

describe('modelseal scan on weight formats (CLI)', () => {
  it('fails (exit 1) on a PyTorch checkpoint whose pickle calls os.system, naming the member', async () => {
    const r = await runCli(['scan', fx('torch-os-system.pt'), '--format', 'json'])
    assert.equal(r.code, 1, r.stderr)
    const j = parseJson(r)
    const f = j.files[0]
    assert.equal(f.format, 'pytorch-zip')
    assert.equal(f.findings[0].id, 'MS-PK001')
    assert.equal(f.findings[0].severity, 'critical')
    assert.equal(f.findings[0].location.member, 'archive/data.pkl')
  })

  it('passes (exit 0) on clean weight files of every format, in one report', async () => {
    const names = ['clean.safetensors', 'torch-clean.pt', 'torch-legacy.pt', 'clean.npy', 'clean.npz', 'clean.gguf', 'clean.pkl']
    const r = await runCli(['scan', ...names.map(fx), '--format', 'json'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const j = parseJson(r)
    assert.deepEqual(j.files.map((f: {format: string}) => f.format).sort(), ['gguf', 'npz', 'numpy', 'pickle', 'pytorch-legacy', 'pytorch-zip', 'safetensors'])
  })

  it('exits 3 on an unreadable safetensors header when findings stay under the threshold', async () => {
    const r = await runCli(['scan', fx('sts-header-too-large.safetensors'), '--format', 'json', '--fail-on', 'critical'])
    assert.equal(r.code, 3)
    assertCleanFailure(r)
    assert.equal(parseJson(r).files[0].error.code, 'E_SAFETENSORS_HEADER')
  })

  it('puts weight rules into SARIF with a security-severity', async () => {
    const r = await runCli(['scan', fx('payload-elf-low24.safetensors'), '--format', 'sarif'])
    assert.equal(r.code, 1)
    const s = JSON.parse(r.stdout)
    const rule = s.runs[0].tool.driver.rules.find((x: {id: string}) => x.id === 'MS-WG001')
    assert.ok(rule, 'MS-WG001 in rules[]')
    assert.ok(Number(rule.properties['security-severity']) >= 7)
    assert.equal(s.runs[0].results[0].ruleId, 'MS-WG001')
  })
})
