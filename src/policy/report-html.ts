/**
 * A policy decision as one self-contained HTML page: the decision, then every requirement in a
 * table (pass / fail / warn / waived / error, failing rows in red) with its reason and waiver.
 */
import {badge, renderPage} from '../html/page.js'
import {text} from '../html/escape.js'
import type {PolicyDecision} from './types.js'

export function decisionHtml(d: PolicyDecision, toolVersion?: string): string {
  const s = d.summary
  const L: string[] = []
  L.push(`<h1>Policy decision: ${badge(d.decision)}</h1>`)
  L.push(
    `<p class="sub">policy <strong>${text(d.policy.name)}</strong>${d.policy.version ? ` ${text(d.policy.version)}` : ''} (${text(d.policy.mode)}) on <code>${text(d.model.path)}</code></p>`,
  )
  L.push(
    `<div class="verdict ${d.decision === 'allow' ? 'v-good' : 'v-bad'}">${d.decision === 'allow' ? 'ALLOW' : 'DENY'} — ${s.total} requirements: ${s.pass} passed, ${s.warn} warnings, ${s.fail} failures, ${s.error} errors, ${s.waived} waived</div>`,
  )
  L.push(
    `<dl class="kv"><dt>model digest</dt><dd><code>${d.model.digest ? `sha256:${text(d.model.digest.sha256)}` : '(unknown)'}</code></dd><dt>evaluated at</dt><dd>${text(d.evaluatedAt)}</dd><dt>policy sha256</dt><dd><code>${text(d.policy.sha256)}</code></dd><dt>policy expires</dt><dd>${text(d.policy.expires)}</dd></dl>`,
  )
  L.push(
    '<h2>Requirements</h2><table class="requirements"><tr><th>result</th><th>requirement</th><th>type</th><th>mode</th><th>code</th><th>reason</th><th>waiver</th></tr>',
  )
  for (const r of d.requirements) {
    const w = r.waiver
      ? `${text(r.waiver.id)}, expires ${text(r.waiver.expires)}, approved by ${text(r.waiver.approvedBy.join(', '))}: ${text(r.waiver.justification)}`
      : ''
    L.push(
      `<tr class="r-${text(r.result)}" data-result="${text(r.result)}"><td>${badge(r.result)}</td><td><code>${text(r.id)}</code></td><td>${text(r.type)}</td><td>${text(r.mode)}</td><td><code>${text(r.code)}</code></td><td>${text(r.reason, 4000)}</td><td>${w}</td></tr>`,
    )
  }
  L.push('</table>')
  if (d.evidenceProblems.length) {
    L.push('<h2>Evidence not used</h2><table class="evidence"><tr><th>source</th><th>problem</th></tr>')
    for (const p of d.evidenceProblems) L.push(`<tr><td><code>${text(p.source)}</code></td><td>${text(p.problem, 2000)}</td></tr>`)
    L.push('</table>')
  }
  return renderPage({title: `modelseal policy decision: ${d.decision}`, body: L.join('\n'), toolVersion, generatedAt: d.evaluatedAt})
}
