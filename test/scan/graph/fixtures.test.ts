import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {scanPaths} from '../../../src/scan/engine.js'
import {renderText} from '../../../src/scan/report/index.js'
import {getRule} from '../../../src/scan/rule-catalogue.js'
import {severityRank, type FileReport, type Severity} from '../../../src/scan/types.js'
import {repoRoot} from '../../helpers/cli.js'

const fx = (name: string) => path.join(repoRoot, 'testdata', 'onnx', name)
const vadDir = path.join(repoRoot, 'node_modules', '@ricky0123', 'vad-web', 'dist')

async function scanOne(file: string, opts: {baseline?: string} = {}): Promise<FileReport> {
  const {report} = await scanPaths([file], {progress: false, ...opts})
  assert.equal(report.files.length, 1)
  return report.files[0]
}

function atLeast(r: FileReport, sev: Severity) {
  return r.findings.filter((f) => severityRank(f.severity) >= severityRank(sev))
}

/** Each backdoor style: the rule that must fire and its minimum severity. */
const BACKDOORS: [string, string, Severity][] = [
  ['backdoor_where.onnx', 'MS-GB002', 'high'],
  ['backdoor_if.onnx', 'MS-GB002', 'high'],
  ['backdoor_add.onnx', 'MS-GB003', 'high'],
  ['backdoor_function.onnx', 'MS-GB002', 'high'],
  ['backdoor_token.onnx', 'MS-GB004', 'medium'],
  ['backdoor_sidebranch.onnx', 'MS-GB006', 'high'],
  ['backdoor_langford.onnx', 'MS-GB003', 'medium'],
]
const CLEAN = [
  'clean_cnn.onnx',
  'clean_function.onnx',
  'clean_text.onnx',
  'benign_attention_mask.onnx',
  'benign_causal_mask.onnx',
  'benign_last_token.onnx',
  'benign_mean_pool.onnx',
  'external_ok.onnx',
]

describe('graph backdoor rules on fixtures', () => {
  for (const [file, id, sev] of BACKDOORS) {
    it(`${file}: ${id} at ${sev} or above`, async () => {
      const r = await scanOne(fx(file))
      assert.equal(r.status, 'scanned')
      const hit = r.findings.find((f) => f.id === id)
      assert.ok(hit, `expected ${id}, got ${JSON.stringify(r.findings.map((f) => [f.id, f.severity]))}`)
      assert.ok(severityRank(hit.severity) >= severityRank(sev), `${id} is ${hit.severity}`)
      assert.equal(hit.category, 'graph-backdoor')
      assert.ok(hit.location.node, 'names the merge node')
    })
  }

  for (const file of CLEAN) {
    it(`${file}: no finding at low or above`, async () => {
      const r = await scanOne(fx(file))
      assert.equal(r.status, 'scanned')
      assert.deepEqual(
        atLeast(r, 'low').map((f) => `${f.id} ${f.message}`),
        [],
      )
    })
  }

  it('the trigger inside a model-local function is located in the function', async () => {
    const r = await scanOne(fx('backdoor_function.onnx'))
    const hit = r.findings.find((f) => f.id === 'MS-GB002')!
    assert.match(String(hit.location.function), /custom\.detect\.TriggerGate/)
  })

  it('the attention mask is reported at info only, last-token pooling never above info', async () => {
    const r = await scanOne(fx('benign_attention_mask.onnx'))
    assert.ok(r.findings.some((f) => f.id === 'MS-GB008' && f.severity === 'info'))
    const lt = await scanOne(fx('benign_last_token.onnx'))
    assert.deepEqual(
      lt.findings.filter((f) => f.category === 'graph-backdoor' && f.severity !== 'info'),
      [],
    )
  })

  it('--baseline: the injected nodes of backdoor_add are added nodes, the backdoor merge node high', async () => {
    const r = await scanOne(fx('backdoor_add.onnx'), {baseline: fx('clean_cnn.onnx')})
    const added = r.findings.filter((f) => f.id === 'MS-BD001')
    assert.ok(added.length >= 6, JSON.stringify(added.map((f) => f.message)))
    assert.ok(added.some((f) => f.severity === 'high'))
    assert.ok(r.findings.some((f) => f.id === 'MS-BD004' && f.location.tensor === 'boost'))
    assert.ok(
      r.findings.some((f) => f.id === 'MS-BD002'),
      'the removed Identity output node',
    )
    const same = await scanOne(fx('clean_cnn.onnx'), {baseline: fx('clean_cnn.onnx')})
    assert.deepEqual(
      same.findings.filter((f) => f.category === 'baseline-diff'),
      [],
    )
  })
})

describe('other graph rules on fixtures', () => {
  const CASES: [string, string, Severity][] = [
    ['python_op.onnx', 'MS-CO001', 'critical'],
    ['custom_domain.onnx', 'MS-CO003', 'medium'],
    ['metadata_script.onnx', 'MS-MD002', 'medium'],
    ['external_escape.onnx', 'MS-ED001', 'high'],
    ['external_absolute.onnx', 'MS-ED001', 'high'],
    ['external_ort_mem.onnx', 'MS-ED002', 'critical'],
    ['external_bounds.onnx', 'MS-ED004', 'high'],
    ['duplicate_names.onnx', 'MS-GS001', 'high'],
    ['unknown_field.onnx', 'MS-GS004', 'medium'],
  ]
  for (const [file, id, sev] of CASES) {
    it(`${file}: ${id} (${sev})`, async () => {
      const r = await scanOne(fx(file))
      const hit = r.findings.find((f) => f.id === id)
      assert.ok(hit, JSON.stringify(r.findings))
      assert.equal(hit.severity, sev)
    })
  }

  it('hostile files are errors with stable codes, never clean', async () => {
    const cases: [string, string][] = [
      ['empty.onnx', 'E_ONNX_EMPTY'],
      ['truncated.onnx', 'E_ONNX_MALFORMED'],
      ['random.onnx', 'E_ONNX_MALFORMED'],
      ['deep_if.onnx', 'E_ONNX_TOO_DEEP'],
      ['external_missing.onnx', 'E_ONNX_EXTERNAL_MISSING'],
    ]
    for (const [file, code] of cases) {
      const {report, exitCode} = await scanPaths([fx(file)], {progress: false})
      assert.equal(report.files[0].status, 'error', file)
      assert.equal(report.files[0].error?.code, code, file)
      assert.equal(exitCode, 3, file)
    }
  })
})

describe('whole-directory scan', () => {
  it('every emitted finding has a catalogued rule; text report is plain without colour', async () => {
    const {report, exitCode} = await scanPaths([path.join(repoRoot, 'testdata', 'onnx')], {progress: false})
    assert.equal(exitCode, 1)
    assert.ok(report.files.length >= 30)
    for (const f of report.files) for (const x of f.findings) assert.ok(getRule(x.id), `${x.id} is not in the rule catalogue`)
    const ext = report.files.find((f) => f.path.endsWith('external_ok.bin'))!
    assert.equal(ext.format, 'onnx-external-data', 'the external data file is covered by its model')
    const text = renderText(report)
    assert.doesNotMatch(text, /\x1b\[/)
    assert.match(text, /FAILED: findings at or above high/)
    assert.match(renderText(report, {color: true}), /\x1b\[1;31mHIGH/)
  })
})

describe('real models', {skip: existsSync(vadDir) ? false : '@ricky0123/vad-web is not installed'}, () => {
  for (const file of ['silero_vad_legacy.onnx', 'silero_vad_v5.onnx', 'silero_vad_v6.onnx']) {
    it(`${file} (If on the sample rate wrapping the network): no finding at low or above`, async () => {
      const r = await scanOne(path.join(vadDir, file))
      assert.equal(r.status, 'scanned')
      assert.deepEqual(
        atLeast(r, 'low').map((f) => `${f.id} ${f.message}`),
        [],
      )
      assert.ok(
        r.findings.some((f) => f.id === 'MS-GB010'),
        'the sample-rate If is recognised as a config switch',
      )
      assert.ok((r.stats?.flatNodes as number) > 100)
    })
  }
})
