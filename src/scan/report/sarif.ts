/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per id with `security-severity`, results with
 * a physical location (the file; byte ranges in the location's properties) and logical graph locations.
 */
import {createHash} from 'node:crypto'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {stableJson} from '../dedupe.js'
import {allRules, getRule} from '../rule-catalogue.js'
import type {TriggerPath} from '../graph/evidence.js'
import type {Finding, ScanReport, Severity} from '../types.js'
import {sarifLog} from '../../util/sarif.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note'}
export const SECURITY_SEVERITY: Record<Severity, string> = {critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0'}

/** Repository-relative URI when the file is under the working directory (what code scanning expects), else file://. */
function uri(p: string): string {
  const abs = path.resolve(p)
  const rel = path.relative(process.cwd(), abs)
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).map(encodeURIComponent).join('/')
  return pathToFileURL(abs).href
}

function logical(f: Finding): {fullyQualifiedName: string; kind: string}[] {
  const l = f.location
  const out: {fullyQualifiedName: string; kind: string}[] = []
  if (l.node) out.push({fullyQualifiedName: `${l.graph ?? 'main'}/node:${l.node}`, kind: 'element'})
  if (l.tensor) out.push({fullyQualifiedName: `tensor:${l.tensor}`, kind: 'variable'})
  if (l.function) out.push({fullyQualifiedName: `function:${l.function}`, kind: 'function'})
  if (l.member) out.push({fullyQualifiedName: `member:${l.member}`, kind: 'module'})
  return out
}

/** A graph-backdoor trigger path as a SARIF code flow: one thread-flow location per node, input to output. */
function codeFlow(f: Finding, fileUri: string): object | undefined {
  const p = f.evidence?.triggerPath as TriggerPath | undefined
  if (!p?.steps?.length) return undefined
  return {
    message: {text: `trigger path from ${p.input ?? 'the input'} to ${p.output ?? 'the output'}${p.elided ? ` (${p.elided} steps elided)` : ''}`},
    threadFlows: [
      {
        locations: p.steps.map((s, k) => ({
          executionOrder: k + 1,
          kinds: [s.role],
          importance: s.role === 'merge' || s.role === 'seed' ? 'essential' : 'important',
          location: {
            physicalLocation: {artifactLocation: {uri: fileUri}, region: {startLine: 1}},
            logicalLocations: [{fullyQualifiedName: `${s.graph}/node:${s.node}`, kind: 'element'}],
            message: {text: `${s.role}: ${s.op} ${s.node}${s.output ? ` -> ${s.output}` : ''}`},
          },
        })),
      },
    ],
  }
}

export function renderSarif(report: ScanReport): object {
  const used = new Set(report.files.flatMap((f) => f.findings.map((x) => x.id)))
  const rules = allRules().filter((r) => used.has(r.id) || r.id.startsWith('MS-'))
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]))
  // Stable and unique per result: rule, file, location and message hashed (a long location can
  // no longer be cut into a collision), with an ordinal for an identical repeat.
  const seen = new Map<string, number>()
  const fingerprint = (f: Finding, file: string): string => {
    const base = `${f.id}:${createHash('sha256')
      .update(`${uri(file)}\u0000${stableJson(f.location)}\u0000${f.message}`)
      .digest('hex')
      .slice(0, 32)}`
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    return n === 0 ? base : `${base}:${n}`
  }
  const results = report.files.flatMap((file) =>
    file.findings.map((f) => {
      // GitHub requires region.startLine (validator rule GH1003); model files have no lines, so the
      // alert points at line 1 and the byte range travels in the location's properties.
      const bytes =
        typeof f.location.byteStart === 'number' ? {byteStart: f.location.byteStart, byteEnd: f.location.byteEnd ?? f.location.byteStart} : undefined
      const loc: Record<string, unknown> = {
        physicalLocation: {artifactLocation: {uri: uri(file.path)}, region: {startLine: 1}},
        ...(bytes ? {properties: bytes} : {}),
      }
      const lg = logical(f)
      if (lg.length) loc.logicalLocations = lg
      const flow = codeFlow(f, uri(file.path))
      return {
        ruleId: f.id,
        ...(ruleIndex.has(f.id) ? {ruleIndex: ruleIndex.get(f.id)} : {}),
        level: LEVEL[f.severity],
        message: {text: `${f.title}: ${f.message}`},
        locations: [loc],
        ...(flow ? {codeFlows: [flow]} : {}),
        partialFingerprints: {modelsealFinding: fingerprint(f, file.path)},
        properties: {
          severity: f.severity,
          category: f.category,
          'security-severity': SECURITY_SEVERITY[f.severity],
          ...(f.evidence ? {evidence: f.evidence} : {}),
        },
      }
    }),
  )
  const notifications = report.files
    .filter((f) => f.status !== 'scanned')
    .map((f) => ({
      level: 'error',
      message: {text: `${f.path}: ${f.status}${f.error ? ` (${f.error.code}: ${f.error.message})` : ''}`},
      locations: [{physicalLocation: {artifactLocation: {uri: uri(f.path)}}}],
    }))
  return sarifLog(
    {
      name: 'modelseal',
      version: report.tool.version,
      informationUri: 'https://github.com/modelseal/modelseal',
      rules: rules.map((r) => ({
        id: r.id,
        name: r.title
          .replace(/[^A-Za-z0-9]+/g, ' ')
          .trim()
          .split(' ')
          .map((w) => w[0].toUpperCase() + w.slice(1))
          .join(''),
        shortDescription: {text: r.title},
        fullDescription: {text: r.description},
        help: {text: r.description, markdown: `**${r.title}** (${r.category}, default ${r.defaultSeverity})\n\n${r.description}`},
        defaultConfiguration: {level: LEVEL[r.defaultSeverity]},
        properties: {tags: ['security', r.category], 'security-severity': SECURITY_SEVERITY[r.defaultSeverity], category: r.category},
      })),
    },
    {
      invocations: [{executionSuccessful: report.summary.errors === 0, toolExecutionNotifications: notifications}],
      results,
    },
  )
}

export {getRule}
