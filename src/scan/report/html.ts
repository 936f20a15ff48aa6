/**
 * Scan report as one self-contained HTML page: a summary (files, formats, findings by severity and
 * category), every finding with its rule, location and message, and for graph findings an SVG of
 * the model around the trigger path. Everything from the scanned files is untrusted and enters the
 * page only through `text()`.
 */
import {badge, renderPage} from '../../html/page.js'
import {text} from '../../html/escape.js'
import {renderGraphSvg} from '../../html/graph-svg.js'
import {openOnnx} from '../../formats/onnx/reader.js'
import {CATEGORIES, SEVERITIES, type FileReport, type Finding, type ScanReport} from '../types.js'
import {buildGraphView, type GraphView} from './graph-view.js'

/** Drawings per report: each is a few hundred ms of layout, and a reviewer reads the first ones. */
export const MAX_DRAWINGS = 12

export type GraphViews = Map<Finding, GraphView>

/** Re-reads each ONNX file with graph findings (bounded like the scan) and builds their views. */
export function collectGraphViews(report: ScanReport): GraphViews {
  const views: GraphViews = new Map()
  for (const file of report.files) {
    if (views.size >= MAX_DRAWINGS) break
    const graphFindings = file.findings.filter((f) => f.category === 'graph-backdoor' || f.category === 'baseline-diff')
    if (file.format !== 'onnx' || graphFindings.length === 0) continue
    let model
    try {
      model = openOnnx(file.path).model
    } catch {
      continue // the scan already reported why the file could not be read
    }
    for (const f of graphFindings) {
      if (views.size >= MAX_DRAWINGS) break
      const v = buildGraphView(model, f)
      if (v) views.set(f, v)
    }
  }
  return views
}

function location(f: Finding): string {
  const l = f.location
  const parts: string[] = []
  if (l.function) parts.push(`function ${text(l.function)}`)
  if (l.graph && l.graph !== 'main') parts.push(`graph ${text(l.graph)}`)
  if (l.node) parts.push(`node <code>${text(l.node)}</code>`)
  if (l.tensor) parts.push(`tensor <code>${text(l.tensor)}</code>`)
  if (l.member) parts.push(`member <code>${text(l.member)}</code>`)
  if (typeof l.byteStart === 'number') parts.push(`bytes ${l.byteStart}–${l.byteEnd ?? '?'}`)
  else if (typeof l.offset === 'number') parts.push(`offset ${l.offset}`)
  return parts.join(' · ')
}

function graphSection(v: GraphView): string {
  const steps = v.steps
    .map(
      (s) =>
        `<li>${s.kind === 'node' ? `<code>${text(s.op)}</code> ${text(s.name || '(unnamed)')}` : `${s.kind === 'input' ? 'model input' : 'model output'} <code>${text(s.name)}</code>`}</li>`,
    )
    .join('')
  return [
    '<div class="trigger-path"><div class="legend">Trigger path (highlighted in red below):</div>',
    `<ol class="path">${steps}</ol></div>`,
    `<div class="legend">Graph ${text(v.graphPath)}: ${v.totalNodes} nodes; the path, its neighbours, and the rest collapsed into boxes. Hover a node for its name, inputs and outputs.</div>`,
    `<div class="graph">${renderGraphSvg(v.drawing, `model graph around ${v.steps.map((s) => s.name).join(' → ')}`)}</div>`,
  ].join('\n')
}

function findingHtml(f: Finding, view: GraphView | undefined): string {
  const where = location(f)
  return [
    `<div class="finding" data-rule="${text(f.id)}" data-severity="${text(f.severity)}">`,
    `<div>${badge(f.severity)} <code>${text(f.id)}</code> <span class="title">${text(f.title)}</span> <span class="where">${text(f.category)}</span></div>`,
    `<div class="msg">${text(f.message, 2000)}</div>`,
    where ? `<div class="where">${where}</div>` : '',
    view ? graphSection(view) : '',
    '</div>',
  ].join('\n')
}

function fileHtml(file: FileReport, views: GraphViews): string {
  const order = [...file.findings].sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity))
  return [
    `<h3><code>${text(file.path)}</code> ${badge(file.status)} <span class="where">${text(file.format)}</span></h3>`,
    file.error ? `<p>${badge('error')} <code>${text(file.error.code)}</code> ${text(file.error.message, 2000)}</p>` : '',
    file.status === 'scanned' && file.findings.length === 0 ? '<p class="where">no findings</p>' : '',
    ...order.map((f) => findingHtml(f, views.get(f))),
  ].join('\n')
}

function summaryHtml(r: ScanReport): string {
  const s = r.summary
  const bad = s.failed
  const incomplete = !bad && (s.errors + s.unsupported > 0 || s.files === 0)
  const verdict = bad
    ? `FAILED: findings at or above ${s.failOn}`
    : incomplete
      ? 'INCOMPLETE: some inputs could not be scanned'
      : `Passed: no finding at or above ${s.failOn}`
  const formats = new Map<string, number>()
  for (const f of r.files) formats.set(f.format, (formats.get(f.format) ?? 0) + 1)
  const byCategory = new Map<string, Record<string, number>>()
  for (const f of r.files.flatMap((x) => x.findings)) {
    const row = byCategory.get(f.category) ?? {}
    row[f.severity] = (row[f.severity] ?? 0) + 1
    byCategory.set(f.category, row)
  }
  const sevs = [...SEVERITIES].reverse()
  const catRows = [...byCategory.entries()]
    .sort((a, b) => CATEGORIES.indexOf(a[0] as never) - CATEGORIES.indexOf(b[0] as never))
    .map(([c, row]) => `<tr><td>${text(c)}</td>${sevs.map((v) => `<td>${row[v] ?? ''}</td>`).join('')}</tr>`)
  return [
    `<div class="verdict ${bad ? 'v-bad' : incomplete ? 'v-incomplete' : 'v-good'}">${text(verdict)}</div>`,
    '<table class="summary"><tr><th>files</th><th>scanned</th><th>errors</th><th>unsupported</th><th>skipped</th><th>formats</th></tr>',
    `<tr><td>${s.files}</td><td>${s.scanned}</td><td>${s.errors}</td><td>${s.unsupported}</td><td>${s.skipped ?? 0}</td><td>${[...formats.entries()].map(([f, c]) => `${text(f)} ×${c}`).join(', ')}</td></tr></table>`,
    `<table class="by-severity"><tr>${sevs.map((v) => `<th>${badge(v)}</th>`).join('')}</tr><tr>${sevs.map((v) => `<td>${s.findings[v]}</td>`).join('')}</tr></table>`,
    catRows.length ? `<table class="by-category"><tr><th>category</th>${sevs.map((v) => `<th>${v}</th>`).join('')}</tr>${catRows.join('')}</table>` : '',
  ].join('\n')
}

export function renderScanHtml(report: ScanReport, views: GraphViews = new Map(), generatedAt = new Date().toISOString()): string {
  const body = [
    '<h1>modelseal scan report</h1>',
    `<p class="sub">${report.files.length} file(s) · fail on ${text(report.summary.failOn)} and above</p>`,
    '<h2>Summary</h2>',
    summaryHtml(report),
    '<h2>Files and findings</h2>',
    ...report.files.map((f) => fileHtml(f, views)),
  ].join('\n')
  return renderPage({title: 'modelseal scan report', body, toolVersion: report.tool.version, generatedAt})
}
