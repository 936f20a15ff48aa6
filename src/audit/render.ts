/** Audit report as text (terminal) or Markdown (evidence packs); JSON is the AuditReport itself. */
import {describe, type AuditReport, type AuditSigner} from './collect.js'

const MAX_LISTED = 20

function signerLines(s: AuditSigner): string[] {
  const out = [`signer: ${describe(s)}`]
  if (s.method === 'sigstore' && s.buildSigner) out.push(`build signer: ${s.buildSigner}`)
  for (const t of s.tlog ?? []) out.push(`transparency log: index ${t.logIndex}${t.integratedTime ? `, integrated ${t.integratedTime}` : ''}`)
  for (const t of s.timestamps ?? []) out.push(`RFC 3161 timestamp: ${t}`)
  return out
}

function body(r: AuditReport, h: (level: number, s: string) => string, li: (s: string) => string): string[] {
  const L: string[] = []
  L.push(h(1, `Provenance audit of ${r.model.path}`))
  L.push(li(`model digest: ${r.model.rootDigest ? `sha256:${r.model.rootDigest}` : 'not computable'} (${r.model.files} files, ${r.model.totalBytes} bytes)`))
  L.push(li(`generated: ${r.generatedAt}`))
  L.push('')
  L.push(h(2, `Signatures (${r.signatures.length})`))
  if (r.signatures.length === 0) L.push(li('none supplied: nothing proves who made this model'))
  for (const s of r.signatures) {
    L.push(h(3, `${s.source} — ${s.status.toUpperCase()}`))
    if (s.note) L.push(li(`note: ${s.note}`))
    if (s.signer) for (const x of signerLines(s.signer)) L.push(li(x))
    else L.push(li('signer: unknown (the signature did not verify)'))
    if (s.signedAt) L.push(li(`signed at (trusted time): ${s.signedAt}`))
    L.push(li(`covers root sha256:${s.rootDigest ?? '?'} — ${s.resources.length} resource(s), ${s.serialization?.method}/${s.serialization?.hashType}`))
    for (const res of s.resources.slice(0, MAX_LISTED)) L.push(li(`  ${res.name}  ${res.algorithm}:${res.digest}`))
    if (s.resources.length > MAX_LISTED) L.push(li(`  … ${s.resources.length - MAX_LISTED} more`))
    if (s.content) {
      const c = s.content
      L.push(li(`local files ${c.matches ? 'match the signed manifest' : 'DO NOT match the signed manifest'}`))
      if (c.changed.length) L.push(li(`changed: ${c.changed.join(', ')}`))
      if (c.missing.length) L.push(li(`missing: ${c.missing.join(', ')}`))
      if (c.notCovered.length) L.push(li(`local files not covered by the signature: ${c.notCovered.join(', ')}`))
      if (c.ignoredBySigner.length) L.push(li(`of those, ignored by the signer: ${c.ignoredBySigner.join(', ')}`))
    }
  }
  L.push('')
  L.push(h(2, `Attestations (${r.attestations.length})`))
  if (r.attestations.length === 0) L.push(li('none supplied'))
  for (const a of r.attestations) {
    L.push(h(3, `${a.source} — ${a.status.toUpperCase()}`))
    if (a.note) L.push(li(`note: ${a.note}`))
    L.push(li(`predicate: ${a.predicateType}`))
    if (a.signer) for (const x of signerLines(a.signer)) L.push(li(x))
    L.push(
      li(
        `subject: ${a.subject
          .map((d) =>
            Object.entries(d)
              .map(([k, v]) => `${k}:${v}`)
              .join(' '),
          )
          .join(', ')}${a.aboutThisModel === null ? '' : a.aboutThisModel ? ' (this model)' : ' (NOT this model)'}`,
      ),
    )
    L.push(li(`says: ${JSON.stringify(a.says)}`))
  }
  L.push('')
  L.push(h(2, 'Facts'))
  for (const f of r.facts) L.push(li(`[${f.status}] ${f.fact}`))
  return L
}

export function auditText(r: AuditReport): string {
  return body(
    r,
    (level, s) => (level === 1 ? s : level === 2 ? `\n${s}` : `  ${s}`),
    (s) => `    ${s}`,
  ).join('\n')
}

export function auditMarkdown(r: AuditReport): string {
  return body(
    r,
    (level, s) => `${'#'.repeat(level)} ${s}\n`,
    (s) => `- ${s.replace(/([*_`])/g, '\\$1')}`,
  ).join('\n')
}
