/**
 * Audit report as one self-contained HTML page for auditors: the model's files with their
 * signed/unsigned status, every signer (identity, issuer, time, log index) and every attestation
 * with its verification state. "verified" (a check passed) and "read" (taken from a file, not
 * checked) are drawn differently — a solid badge against a dashed outline — so a claim is never
 * mistaken for a proof.
 */
import {badge, renderPage} from '../html/page.js'
import {text} from '../html/escape.js'
import {describe, type AuditReport, type AuditSigner} from './collect.js'

const MAX_ROWS = 500

function signerHtml(s: AuditSigner): string {
  const rows: [string, unknown][] = [
    ['method', s.method],
    ['signer', describe(s)],
    ['identity', s.identity],
    ['issuer', s.issuer],
    ['source repository', s.sourceRepository],
    ['source ref', s.sourceRef],
    ['build signer', s.buildSigner],
    ['certificate subject', s.certificateSubject],
    ['certificate issuer', s.certificateIssuer],
    ['key fingerprint', s.keyFingerprint],
  ]
  for (const t of s.tlog ?? []) rows.push(['transparency log', `index ${t.logIndex}${t.integratedTime ? `, integrated ${t.integratedTime}` : ''}`])
  for (const t of s.timestamps ?? []) rows.push(['RFC 3161 timestamp', t])
  return `<dl class="kv">${rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<dt>${k}</dt><dd>${text(v)}</dd>`)
    .join('')}</dl>`
}

function filesTable(r: AuditReport): string {
  // One row per signed resource, marked by what the comparison with the local files found.
  const status = new Map<string, string>()
  for (const s of r.signatures) {
    for (const res of s.resources)
      if (!status.has(res.name)) status.set(res.name, s.status === 'verified' ? 'signed' : s.status === 'failed' ? 'failed' : 'read')
    for (const n of s.content?.changed ?? []) status.set(n, 'changed')
    for (const n of s.content?.missing ?? []) status.set(n, 'missing')
    for (const n of s.content?.notCovered ?? []) status.set(n, 'unsigned')
  }
  if (status.size === 0) return "<p>No signature lists this model's files: every file is unsigned.</p>"
  const rows = [...status.entries()].slice(0, MAX_ROWS).map(([name, st]) => `<tr><td><code>${text(name)}</code></td><td>${badge(st)}</td></tr>`)
  const more = status.size > MAX_ROWS ? `<p class="where">… ${status.size - MAX_ROWS} more files not listed</p>` : ''
  return `<table class="files"><tr><th>file</th><th>status</th></tr>${rows.join('')}</table>${more}`
}

export function auditHtml(r: AuditReport, toolVersion?: string): string {
  const L: string[] = []
  L.push(`<h1>Provenance audit</h1><p class="sub"><code>${text(r.model.path)}</code></p>`)
  L.push(
    `<dl class="kv"><dt>model digest</dt><dd><code>${r.model.rootDigest ? `sha256:${text(r.model.rootDigest)}` : 'not computable'}</code></dd><dt>files</dt><dd>${r.model.files} (${r.model.totalBytes} bytes)</dd><dt>generated</dt><dd>${text(r.generatedAt)}</dd></dl>`,
  )
  L.push('<h2>Files</h2>', filesTable(r))
  L.push(`<h2>Signatures (${r.signatures.length})</h2>`)
  if (r.signatures.length === 0) L.push('<p>None supplied: nothing proves who made this model.</p>')
  for (const s of r.signatures) {
    L.push(`<div class="finding signature" data-status="${text(s.status)}"><div>${badge(s.status)} <code>${text(s.source)}</code></div>`)
    if (s.note) L.push(`<div class="msg">${text(s.note, 2000)}</div>`)
    L.push(s.signer ? signerHtml(s.signer) : '<div class="where">signer: unknown (the signature did not verify)</div>')
    if (s.signedAt) L.push(`<div class="where">signed at (trusted time): ${text(s.signedAt)}</div>`)
    L.push(
      `<div class="where">covers root <code>sha256:${text(s.rootDigest ?? '?')}</code> — ${s.resources.length} resource(s), ${text(s.serialization?.method)}/${text(s.serialization?.hashType)}</div>`,
    )
    if (s.content)
      L.push(
        `<div class="msg">${badge(s.content.matches ? 'pass' : 'fail')} local files ${s.content.matches ? 'match the signed manifest' : 'do NOT match the signed manifest'}</div>`,
      )
    L.push('</div>')
  }
  L.push(`<h2>Attestations (${r.attestations.length})</h2>`)
  if (r.attestations.length === 0) L.push('<p>None supplied.</p>')
  for (const a of r.attestations) {
    L.push(
      `<div class="finding attestation" data-status="${text(a.status)}"><div>${badge(a.status)} <code>${text(a.source)}</code> <span class="where">${text(a.predicateType)}</span></div>`,
    )
    if (a.status !== 'verified') L.push('<div class="msg"><strong>Read, not verified:</strong> what follows is what the file claims.</div>')
    if (a.note) L.push(`<div class="msg">${text(a.note, 2000)}</div>`)
    if (a.signer) L.push(signerHtml(a.signer))
    const subj = a.subject
      .map((d) =>
        Object.entries(d)
          .map(([k, v]) => `${k}:${v}`)
          .join(' '),
      )
      .join(', ')
    L.push(
      `<div class="where">subject <code>${text(subj)}</code>${a.aboutThisModel === null ? '' : a.aboutThisModel ? ' (this model)' : ' <strong>(NOT this model)</strong>'}</div>`,
    )
    L.push(`<details><summary>what it says</summary><pre class="mono">${text(JSON.stringify(a.says, null, 2), 20000)}</pre></details></div>`)
  }
  L.push('<h2>Facts</h2><table class="facts"><tr><th>status</th><th>fact</th></tr>')
  for (const f of r.facts) L.push(`<tr><td>${badge(f.status)}</td><td>${text(f.fact, 2000)}</td></tr>`)
  L.push('</table>')
  return renderPage({title: 'modelseal provenance audit', body: L.join('\n'), toolVersion, generatedAt: r.generatedAt})
}
