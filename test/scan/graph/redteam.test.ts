/**
 * The red-team grammar (testdata/redteam: trained base models, backdoors built by graph surgery,
 * clean look-alikes; each checked with ONNX Runtime by verify-ort.mjs when it was generated):
 * recall at the expected severity and false positives per grammar cell, printed as a table, and
 * the evidence every backdoor finding must carry.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {scanPaths} from '../../../src/scan/engine.js'
import {renderSarif} from '../../../src/scan/report/index.js'
import {severityRank, type Finding, type ScanReport, type Severity} from '../../../src/scan/types.js'
import {repoRoot} from '../../helpers/cli.js'

interface Label {
  file: string
  label: 'backdoor' | 'clean'
  base: string
  source?: string
  function?: string
  merge?: string
  placement?: string
  quant?: string
  expected: Severity | 'none'
  cousin?: boolean
}

const dir = path.join(repoRoot, 'testdata', 'redteam')
const {models} = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as {models: Label[]}
const CELL_KEYS = ['function', 'merge', 'placement', 'source', 'quant', 'base'] as const

let scanned: Promise<ScanReport> | undefined
function scanAll(): Promise<ScanReport> {
  scanned ??= scanPaths(
    models.map((m) => path.join(dir, 'models', m.file)),
    {progress: false, skipWeights: true},
  ).then((r) => r.report)
  return scanned
}

const backdoorFindings = (fs: Finding[]) => fs.filter((f) => f.category === 'graph-backdoor')
const best = (fs: Finding[]) => fs.reduce((m, f) => Math.max(m, severityRank(f.severity)), -1)

describe('red-team grammar', () => {
  it('backdoors are found at their expected severity (>= 95 %), clean look-alikes stay below medium', async () => {
    const report = await scanAll()
    const byFile = new Map(report.files.map((f) => [path.basename(f.path), f]))
    const cells = new Map<string, {hit: number; n: number}>()
    const misses: string[] = []
    const falseAlarms: string[] = []
    let hit = 0
    let n = 0
    let cousinHit = 0
    let cousins = 0
    for (const m of models) {
      const r = byFile.get(m.file)
      assert.ok(r, m.file)
      assert.equal(r.status, 'scanned', `${m.file}: ${JSON.stringify(r.error)}`)
      if (m.label === 'clean') {
        const loud = r.findings.filter((f) => severityRank(f.severity) >= severityRank('medium'))
        if (loud.length) falseAlarms.push(`${m.file}: ${loud.map((f) => `${f.id}/${f.severity}`).join(' ')}`)
        continue
      }
      const ok = best(backdoorFindings(r.findings)) >= severityRank(m.expected as Severity)
      n++
      if (ok) hit++
      else
        misses.push(
          `${m.file}: ${
            backdoorFindings(r.findings)
              .map((f) => `${f.id}/${f.severity}`)
              .join(' ') || 'no finding'
          }`,
        )
      if (m.cousin) {
        cousins++
        if (ok) cousinHit++
      }
      for (const k of CELL_KEYS) {
        const key = `${k}=${m[k]}`
        const c = cells.get(key) ?? {hit: 0, n: 0}
        c.n++
        if (ok) c.hit++
        cells.set(key, c)
      }
    }
    const clean = models.filter((m) => m.label === 'clean').length
    const table = [...cells.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => `  ${k.padEnd(28)} ${c.hit}/${c.n}`)
    console.log(
      [
        `red-team recall at expected severity: ${hit}/${n} (${((100 * hit) / n).toFixed(1)} %); cousins written after the analysis: ${cousinHit}/${cousins}`,
        `clean look-alikes at medium or above: ${falseAlarms.length}/${clean}`,
        'per grammar cell (found/backdoors):',
        ...table,
        ...(misses.length ? ['missed:', ...misses.map((s) => `  ${s}`)] : []),
      ].join('\n'),
    )
    assert.ok(hit / n >= 0.95, `recall ${hit}/${n}; missed:\n${misses.join('\n')}`)
    assert.deepEqual(falseAlarms, [])
  })

  it('every backdoor finding above info carries its trigger path: input -> seed -> merge -> output', async () => {
    const report = await scanAll()
    for (const file of report.files) {
      for (const f of backdoorFindings(file.findings)) {
        if (f.severity === 'info' || f.id === 'MS-GB006' || f.id === 'MS-GB009' || f.id === 'MS-GB010') continue
        const p = f.evidence?.triggerPath as {input: string | null; output: string | null; steps: {role: string; node: string; op: string; graph: string}[]}
        assert.ok(p && Array.isArray(p.steps), `${file.path} ${f.id}: no triggerPath`)
        assert.ok(p.input, `${file.path}: path names the graph input`)
        assert.ok(p.output, `${file.path}: path reaches a graph output`)
        const roles = p.steps.map((s) => s.role)
        assert.ok(roles.includes('seed') && roles.includes('merge'), `${file.path}: ${roles.join(',')}`)
        assert.ok(roles.indexOf('seed') < roles.indexOf('merge'), 'seed before merge')
        const merge = p.steps.find((s) => s.role === 'merge')!
        assert.equal(merge.node, f.location.node, 'the merge step is the finding location')
        for (const s of p.steps) assert.ok(s.node && s.op && s.graph, JSON.stringify(s))
      }
    }
  })

  it('SARIF carries the trigger path as a code flow', async () => {
    const report = await scanAll()
    const one = report.files.find((f) => f.path.endsWith('_loop.onnx') && backdoorFindings(f.findings).some((x) => x.severity === 'high'))
    assert.ok(one, 'a Loop-placed backdoor is found at high (carried state across iterations)')
    const sarif = renderSarif({...report, files: [one]}) as {
      runs: {
        results: {
          ruleId: string
          codeFlows?: {threadFlows: {locations: {kinds: string[]; location: {logicalLocations: {fullyQualifiedName: string}[]}}[]}[]}[]
        }[]
      }[]
    }
    const res = sarif.runs[0].results.find((r) => r.codeFlows)
    assert.ok(res, 'a result with codeFlows')
    const locs = res.codeFlows![0].threadFlows[0].locations
    assert.ok(locs.length >= 3)
    assert.ok(locs.some((l) => l.kinds.includes('merge')))
    assert.match(locs[0].location.logicalLocations[0].fullyQualifiedName, /\/node:/)
  })
})
