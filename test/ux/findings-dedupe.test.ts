/**
 * A finding is reported once per (rule, location, message), and SARIF fingerprints are unique
 * per result — also for findings that differ only in message or in a long location.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {dedupeFindings} from '../../src/scan/dedupe.js'
import {renderSarif} from '../../src/scan/report/sarif.js'
import type {FileReport, Finding, ScanReport} from '../../src/scan/types.js'

const finding = (over: Partial<Finding>): Finding =>
  ({id: 'MS-BD001', category: 'graph-backdoor', severity: 'high', title: 'Trigger', message: 'm', location: {node: 'n1'}, ...over}) as Finding

test('duplicates (same rule, location and message, whatever the key order) are reported once', () => {
  const files = [
    {
      path: 'a.onnx',
      format: 'onnx',
      status: 'scanned',
      findings: [
        finding({}),
        finding({location: {node: 'n1'}}),
        finding({message: 'other'}),
        finding({location: {node: 'n2'}}),
        finding({id: 'MS-BD002'}),
        finding({location: {graph: 'g', node: 'n3'}}),
        finding({location: {node: 'n3', graph: 'g'}}),
      ],
    },
  ] as FileReport[]
  dedupeFindings(files)
  assert.equal(files[0].findings.length, 5)
})

test('SARIF fingerprints are unique, also where a location is longer than any cut', () => {
  const long = 'x'.repeat(600)
  const files = [
    {
      path: 'a.onnx',
      format: 'onnx',
      status: 'scanned',
      findings: [finding({location: {node: `${long}1`}}), finding({location: {node: `${long}2`}}), finding({message: 'a'}), finding({message: 'b'})],
    },
    {path: 'b.onnx', format: 'onnx', status: 'scanned', findings: [finding({}), finding({})]},
  ] as FileReport[]
  const report = {tool: {name: 'modelseal', version: '0'}, files, summary: {}} as unknown as ScanReport
  const sarif = renderSarif(report) as {runs: {results: {partialFingerprints: {modelsealFinding: string}}[]}[]}
  const prints = sarif.runs[0].results.map((r) => r.partialFingerprints.modelsealFinding)
  assert.equal(prints.length, 6)
  assert.equal(new Set(prints).size, 6, prints.join('\n'))
  // Stable: the same report gives the same fingerprints.
  const again = (renderSarif(report) as typeof sarif).runs[0].results.map((r) => r.partialFingerprints.modelsealFinding)
  assert.deepEqual(again, prints)
})
