/** Renders a PolicyDecision as text (people), or SARIF 2.1.0 (code scanning); JSON is the object itself. */
import type {PolicyDecision, RequirementReport} from './types.js'
import {sarifLog} from '../util/sarif.js'

const MARK: Record<RequirementReport['result'], string> = {pass: 'PASS', fail: 'FAIL', warn: 'WARN', waived: 'WAIVED', error: 'ERROR'}

export function decisionText(d: PolicyDecision): string {
  const s = d.summary
  const lines = [
    `Decision: ${d.decision.toUpperCase()} — policy ${d.policy.name}${d.policy.version ? ` ${d.policy.version}` : ''} (${d.policy.mode}) on ${d.model.path}`,
    `  model ${d.model.digest ? `sha256:${d.model.digest.sha256}` : '(digest unknown)'} · evaluated at ${d.evaluatedAt}`,
    '',
  ]
  for (const r of d.requirements) {
    lines.push(`  ${MARK[r.result].padEnd(6)} ${r.id} [${r.type}${r.mode !== d.policy.mode ? `, ${r.mode}` : ''}] ${r.code}`)
    lines.push(`         ${r.reason}`)
  }
  if (d.evidenceProblems.length) {
    lines.push('', '  Evidence not used:')
    for (const p of d.evidenceProblems) lines.push(`    ${p.source}: ${p.problem}`)
  }
  lines.push('', `${s.total} requirements, ${s.pass} passed, ${s.warn} warnings, ${s.fail} failures, ${s.error} errors, ${s.waived} waived`)
  return lines.join('\n')
}

const LEVEL: Record<RequirementReport['result'], string> = {pass: 'none', fail: 'error', error: 'error', warn: 'warning', waived: 'note'}

export function decisionSarif(d: PolicyDecision, toolVersion: string): Record<string, unknown> {
  return sarifLog(
    {
      name: 'modelseal-policy',
      version: toolVersion,
      informationUri: 'https://modelseal.dev',
      rules: d.requirements.map((r) => ({
        id: r.id,
        name: r.id,
        shortDescription: {text: `${r.type} requirement ${r.id}`},
        defaultConfiguration: {level: r.mode === 'enforce' ? 'error' : 'warning'},
      })),
    },
    {
      results: d.requirements
        .filter((r) => r.result !== 'pass')
        .map((r) => ({
          ruleId: r.id,
          level: LEVEL[r.result],
          kind: r.result === 'waived' ? 'informational' : 'fail',
          message: {text: `${r.code}: ${r.reason}`},
          locations: [{physicalLocation: {artifactLocation: {uri: d.model.path}}}],
          properties: {result: r.result, code: r.code, mode: r.mode, waiver: r.waiver?.id},
          ...(r.result === 'waived' && r.waiver ? {suppressions: [{kind: 'external', justification: r.waiver.justification}]} : {}),
        })),
      properties: {decision: d.decision, policy: d.policy, summary: d.summary},
    },
  )
}
