/**
 * One evaluator per requirement type, over the verified evidence only. Each returns the raw
 * outcome with a reason a person can act on; waivers and modes are applied by the engine.
 */
import type {Evidence, ModelSignatureEvidence, ScanAttestationEvidence, VerifiedSigner} from '../evidence/types.js'
import {IgnoreMatcher} from '../oms/ignore.js'
import {severityRank, type Finding, type ScanReport} from '../scan/types.js'
import {matchingGlob} from './globs.js'
import {formatDuration} from './matchers.js'
import {describeSigner, evaluateSignedBy, freshSigners} from './signed-by.js'
import type {
  DatasetsRequirement,
  IntegrityRequirement,
  LimitsRequirement,
  OnnxRequirement,
  Outcome,
  Requirement,
  ScanRequirement,
  SignatureRequirement,
} from './types.js'

export interface RuleOutcome {
  outcome: Outcome
  code: string
  reason: string
  evidence?: Record<string, unknown>
}

const MAX_LISTED = 5

export function list(items: string[], max = MAX_LISTED): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}

const pass = (code: string, reason: string, evidence?: Record<string, unknown>): RuleOutcome => ({outcome: 'pass', code, reason, evidence})
const fail = (code: string, reason: string, evidence?: Record<string, unknown>): RuleOutcome => ({outcome: 'fail', code, reason, evidence})

export function evaluateRequirement(r: Requirement, ev: Evidence, at: Date): RuleOutcome {
  switch (r.type) {
    case 'signature':
      return signature(r, ev, at)
    case 'integrity':
      return integrity(r, ev)
    case 'scan':
      return scan(r, ev, at)
    case 'onnx':
      return onnx(r, ev)
    case 'datasets':
      return datasets(r, ev, at)
    case 'limits':
      return limits(r, ev)
  }
}

/** Signatures that verified AND whose manifest matches the local model. */
function intactSignatures(ev: Evidence): {intact: ModelSignatureEvidence[]; broken: string[]} {
  const intact = ev.signatures.filter((s) => s.contentProblems.length === 0)
  const broken = ev.signatures
    .filter((s) => s.contentProblems.length > 0)
    .map((s) => `${s.source} (${describeSigner(s)}) does not match the model: ${list(s.contentProblems, 3)}`)
  return {intact, broken}
}

function signature(r: SignatureRequirement, ev: Evidence, at: Date): RuleOutcome {
  const {intact, broken} = intactSignatures(ev)
  const {fresh, rejected} = freshSigners(intact, at, r.maxAgeMs, {allowClaimedTime: false})
  const res = evaluateSignedBy(r.signedBy, fresh)
  const evidence = {signers: res.counted.map(signerFacts), notCounted: [...broken, ...rejected]}
  if (res.ok) return pass('SIGNED', res.reason, evidence)
  const notes = [...broken, ...rejected]
  if (ev.signatures.length === 0) {
    const why = ev.problems.filter((p) => p.source !== 'model').map((p) => `${p.source}: ${p.problem}`)
    const hint = why.length ? `; supplied signatures did not verify against any policy identity: ${list(why, 3)}` : '; pass it with --signature'
    return fail('SIGNATURE_MISSING', `no valid signature by a policy identity${hint}`, evidence)
  }
  return fail('THRESHOLD_NOT_MET', `${res.reason}${notes.length ? `; not counted: ${list(notes, 3)}` : ''}`, evidence)
}

function integrity(r: IntegrityRequirement, ev: Evidence): RuleOutcome {
  // Only the model's signers prove its content: a signature from any other trusted identity
  // (the scanner's key, the data team's) says nothing about these files.
  const accepted = idsOf(r.signedBy!)
  const fromSigners = ev.signatures.filter((s) => s.identities.some((i) => accepted.includes(i)))
  const others = ev.signatures.filter((s) => !fromSigners.includes(s)).map((s) => `${s.source} (${describeSigner(s)}) is not from [${accepted.join(', ')}]`)
  const {intact, broken} = intactSignatures({...ev, signatures: fromSigners})
  if (intact.length === 0) {
    const notCounted = others.length ? `; not counted: ${list(others, 2)}` : ''
    return broken.length
      ? fail('DIGEST_MISMATCH', `the model was modified after signing: ${list(broken, 2)}${notCounted}`)
      : fail(
          'SIGNATURE_MISSING',
          `no verified signature from [${accepted.join(', ')}] covers this model, so its content cannot be checked; sign it and pass --signature${notCounted}`,
        )
  }
  const problems: string[] = []
  for (const s of intact) {
    const ser = s.serialization
    if (r.allowedAlgorithms && !r.allowedAlgorithms.includes(ser.hashType))
      problems.push(`${s.source} hashes with ${ser.hashType}, allowed: ${r.allowedAlgorithms.join(', ')}`)
    if (r.allowedSerializations && !r.allowedSerializations.includes(ser.method))
      problems.push(`${s.source} uses ${ser.method} serialization, allowed: ${r.allowedSerializations.join(', ')}`)
    if (r.unsignedFiles === 'forbid') {
      // Every file on disk that the signature does not cover is unsigned — including the ones the
      // signer listed in ignore_paths; only the policy's allowUnsigned globs let one through.
      // A symlinked directory's contents are neither listed nor signed: unsigned as a whole.
      const linked = ev.model.linkedDirectories.map((d) => `${d}/`)
      const unsigned = [...s.unsignedFiles, ...linked].filter((f) => !matchingGlob(r.allowUnsigned, f))
      if (unsigned.length) {
        const ignored = unsigned.filter((f) => s.signerIgnored.includes(f))
        problems.push(
          `files not covered by ${s.source}: ${list(unsigned)}${ignored.length ? ` (${ignored.length} of them ignored by the signer: ${list(ignored, 3)})` : ''}`,
        )
      }
    }
    if (r.symlinks === 'forbid' && ser.allowSymlinks) problems.push(`${s.source} was made with symlinks allowed`)
  }
  const links = [...ev.model.files.filter((f) => f.symlink).map((f) => f.path), ...ev.model.linkedDirectories.map((d) => `${d}/`)]
  if (r.symlinks === 'forbid' && links.length) problems.push(`model contains symlinks: ${list(links)}`)
  const facts = {
    signatures: intact.map((s) => ({
      source: s.source,
      claimedRootDigest: s.claimedRootDigest,
      serialization: s.serialization,
      unsignedFiles: s.unsignedFiles,
      signerIgnored: s.signerIgnored,
    })),
  }
  if (problems.length) return fail('INTEGRITY_VIOLATION', problems.join('; '), facts)
  const allowed = r.unsignedFiles === 'forbid' ? intact[0].unsignedFiles.length : 0
  return pass(
    'INTACT',
    `every signed file matches (${intact[0].resources.length} resources, ${intact[0].serialization.method}/${intact[0].serialization.hashType}), ${allowed ? `${allowed} unsigned file(s) allowed by allowUnsigned` : 'no unsigned files'}${r.symlinks === 'forbid' ? ', no symlinks' : ''}`,
    facts,
  )
}

/**
 * Coverage: every file of the model must be in the report as scanned — and, for an attestation,
 * bound by its digest (a file the attestation's serialization ignores could have changed since)
 * — or be skipped with a reason, where the policy's skippable globs accept it.
 */
function uncovered(r: ScanRequirement, report: ScanReport, ev: Evidence, att?: ScanAttestationEvidence): string[] {
  const byPath = new Map(report.files.map((f) => [f.path, f]))
  // Skipped entries name a file, or a directory the walk did not enter (its whole subtree).
  const skippedFiles = new Map<string, string>()
  const skippedDirs = new Map<string, string>()
  for (const s of report.skipped ?? []) (s.kind === 'directory' ? skippedDirs : skippedFiles).set(s.path, s.reason)
  const skipReason = (f: string): string | undefined => {
    const direct = skippedFiles.get(f)
    if (direct !== undefined || skippedDirs.size === 0) return direct
    // The nearest skipped ancestor directory, if any (one lookup per path component).
    for (let i = f.lastIndexOf('/'); i > 0; i = f.lastIndexOf('/', i - 1)) {
      const why = skippedDirs.get(f.slice(0, i))
      if (why !== undefined) return why
    }
    return undefined
  }
  const unbound = att ? new IgnoreMatcher(att.serialization.ignorePaths) : undefined
  const out: string[] = []
  // A symlinked directory was not walked: what it holds is covered only if the policy says so.
  for (const d of ev.model.linkedDirectories) if (!matchingGlob(r.skippable, `${d}/`)) out.push(`${d}/ (symlink to a directory: its contents were not scanned)`)
  for (const file of ev.model.files) {
    const entry = byPath.get(file.path)
    const skippable = matchingGlob(r.skippable, file.path) !== undefined
    if (!entry) {
      const why = skipReason(file.path)
      if (why === undefined) out.push(`${file.path} (not in the report)`)
      else if (!skippable) out.push(`${file.path} (skipped: ${why}; not in skippable)`)
    } else if (unbound?.ignores(file.path) && !skippable) {
      out.push(`${file.path} (the attestation's digest ignores it, so its scan may be of other content)`)
    }
  }
  return out
}

function ceilingViolations(r: ScanRequirement, report: ScanReport): {violations: Finding[]; unreadable: string[]} {
  const violations: Finding[] = []
  const unreadable: string[] = []
  for (const f of report.files) {
    // An unsupported model file was not looked at: not scanned is not clean.
    if (f.status === 'error') unreadable.push(`${f.path} (${f.error?.message ?? 'error'})`)
    else if (f.status === 'unsupported') unreadable.push(`${f.path} (format not supported by the scanner)`)
    for (const finding of f.findings) {
      const ceiling = r.maxSeverity.categories[finding.category] ?? r.maxSeverity.default
      if (ceiling === 'none' || severityRank(finding.severity) > severityRank(ceiling))
        violations.push({...finding, location: {...finding.location, file: f.path}})
    }
  }
  return {violations, unreadable}
}

function describeFindings(fs: Finding[]): string {
  return list(
    fs.map((f) => `${f.severity} ${f.category} ${f.id} in ${String(f.location.file ?? '?')}${f.location.node ? ` (${f.location.node})` : ''}`),
    3,
  )
}

function judgeReport(r: ScanRequirement, report: ScanReport, label: string, ev: Evidence, att?: ScanAttestationEvidence): RuleOutcome | undefined {
  const {violations, unreadable} = ceilingViolations(r, report)
  if (!report.files.some((f) => f.status === 'scanned')) return fail('SCAN_INCOMPLETE', `${label} scanned no model file; nothing was checked`)
  if (att && !att.pathsRelative)
    return fail('SCAN_INCOMPLETE', `${label} does not list files relative to the model, so its coverage cannot be checked; re-run \`modelseal attest scan\``)
  const missing = uncovered(r, report, ev, att)
  if (missing.length)
    return fail(
      'SCAN_INCOMPLETE',
      `${label} does not cover ${missing.length} file(s) of the model: ${list(missing, 3)}; a file not scanned is not a clean file (list deliberate exceptions under skippable)`,
      {uncovered: missing},
    )
  if (unreadable.length) return fail('SCAN_INCOMPLETE', `${label} could not scan ${list(unreadable)}; an unreadable file is not a clean file`)
  if (violations.length) {
    return fail('SCAN_SEVERITY_EXCEEDED', `${label} has ${violations.length} finding(s) above the allowed severity: ${describeFindings(violations)}`, {
      findings: violations.map((f) => ({id: f.id, category: f.category, severity: f.severity, title: f.title, file: f.location.file})),
    })
  }
  return undefined
}

function scan(r: ScanRequirement, ev: Evidence, at: Date): RuleOutcome {
  const attempt = (): RuleOutcome => {
    const mismatched = ev.scanAttestations
      .filter((a) => !a.subjectMatches)
      .map((a) => `${a.source} is for another model (subject sha256:${a.subjectDigest.slice(0, 16)}…)`)
    const matching = ev.scanAttestations.filter((a) => a.subjectMatches && r.signedBy && a.identities.some((i) => idsOf(r.signedBy!).includes(i)))
    const untrusted = ev.scanAttestations
      .filter((a) => a.subjectMatches && !matching.includes(a))
      .map((a) => `${a.source} signed by ${describeSigner(a)}, not an approved scanner`)
    const {fresh, rejected} = freshSigners(matching, at, r.maxAgeMs, {allowClaimedTime: true})
    const res = evaluateSignedBy(r.signedBy!, fresh)
    const notes = [...mismatched, ...untrusted, ...rejected]
    if (!res.ok) {
      const code = rejected.length && !fresh.length ? 'EVIDENCE_STALE' : 'ATTESTATION_MISSING'
      return fail(
        code,
        `no acceptable scan attestation: ${res.reason}${notes.length ? `; not counted: ${list(notes, 3)}` : '; pass one with --attestation (made by `modelseal attest scan`)'}`,
      )
    }
    for (const a of fresh) {
      const bad = judgeReport(r, a.report, `scan attestation ${a.source}`, ev, a)
      if (bad) return bad
    }
    return pass(
      'SCAN_CLEAN',
      `scan attestation(s) within limits: ${res.counted.map((s) => `${s.source} by ${describeSigner(s)} at ${(s.trustedTime ?? s.claimedTime)?.toISOString() ?? '?'}`).join('; ')}`,
      {
        attestations: fresh.map((a) => ({source: a.source, signer: signerFacts(a), summary: a.report.summary})),
      },
    )
  }
  const inline = (): RuleOutcome => {
    const s = ev.inlineScan
    if (!s) return {outcome: 'error', code: 'SCAN_NOT_RUN', reason: 'inline scan did not run'}
    if ('error' in s) return {outcome: 'error', code: 'SCAN_ERROR', reason: `inline scan failed: ${s.error}`}
    const bad = judgeReport(r, s, 'inline scan', ev)
    return (
      bad ??
      pass('SCAN_CLEAN', `inline scan of ${s.summary.scanned} file(s): no finding above the allowed severity (max found: ${s.summary.maxSeverity ?? 'none'})`, {
        summary: s.summary,
      })
    )
  }
  if (r.source === 'inline') return inline()
  const a = attempt()
  if (r.source === 'attestation' || a.outcome === 'pass') return a
  // either: an attestation that verified but reports findings is decisive, not a reason to rescan.
  if (a.code === 'SCAN_SEVERITY_EXCEEDED' || a.code === 'SCAN_INCOMPLETE') return a
  const i = inline()
  return {...i, reason: `${i.reason} (no usable attestation: ${a.reason})`}
}

function onnx(r: OnnxRequirement, ev: Evidence): RuleOutcome {
  const facts = ev.onnx ?? []
  if (facts.length === 0) return pass('NO_ONNX', 'the model has no ONNX files; nothing to constrain')
  const errors = facts.filter((f) => f.error).map((f) => `${f.file}: ${f.error}`)
  if (errors.length) return {outcome: 'error', code: 'ONNX_UNREADABLE', reason: `cannot check ONNX constraints: ${list(errors, 3)}`}
  const problems: string[] = []
  for (const f of facts) {
    const badDomains = [...new Set(f.operators.map((o) => o.domain))].filter((d) => r.allowedDomains && !r.allowedDomains.includes(d))
    if (badDomains.length)
      problems.push(`${f.file} uses operator domain(s) ${badDomains.map((d) => JSON.stringify(d || 'ai.onnx')).join(', ')} not in allowedDomains`)
    const forbidden = f.operators.filter((o) => r.forbiddenOperators.some((x) => x.op === o.op && x.domain === o.domain))
    if (forbidden.length)
      problems.push(`${f.file} uses forbidden operator(s) ${forbidden.map((o) => `${o.domain ? `${o.domain}:` : ''}${o.op}×${o.count}`).join(', ')}`)
    if (r.externalData === 'forbid' && f.externalData.length) problems.push(`${f.file} references external data ${list(f.externalData, 3)}`)
  }
  const summary = facts.map((f) => ({file: f.file, operators: f.operators.length, externalData: f.externalData}))
  if (problems.length) return fail('ONNX_CONSTRAINT_VIOLATED', problems.join('; '), {files: summary})
  return pass('ONNX_OK', `${facts.length} ONNX file(s): domains, operators and external data within the policy`, {files: summary})
}

function datasets(r: DatasetsRequirement, ev: Evidence, at: Date): RuleOutcome {
  let declared: {name?: string; root: string}[]
  let declaredBy = 'the policy'
  if (r.source === 'explicit') declared = r.datasets
  else {
    const prov = ev.provenance.filter((p) => p.subjectMatches)
    const res = evaluateSignedBy(r.provenanceSignedBy!, prov)
    if (!res.ok) {
      const other = ev.provenance.length - prov.length
      return fail(
        'PROVENANCE_MISSING',
        `no provenance naming the training datasets: ${res.reason}${other ? ` (${other} provenance statement(s) are for another model)` : '; pass it with --attestation'}`,
      )
    }
    // Every accepted provenance statement counts, not one per signer: a dataset named by any of
    // them must be covered, whatever the order of --attestation flags.
    const ids = idsOf(r.provenanceSignedBy!)
    const accepted = prov.filter((p) => p.identities.some((i) => ids.includes(i)))
    const seen = new Map<string, {name?: string; root: string}>()
    for (const p of accepted) for (const d of p.datasets) if (!seen.has(d.root)) seen.set(d.root, d)
    declared = [...seen.values()]
    declaredBy = `provenance ${accepted.map((p) => p.source).join(', ')}`
  }
  if (declared.length < r.minDatasets) {
    return fail('DATASETS_UNDECLARED', `${declaredBy} names ${declared.length} training dataset(s); at least ${r.minDatasets} required`)
  }
  const {fresh, rejected} = freshSigners(ev.datasetManifests, at, r.maxAgeMs, {allowClaimedTime: true})
  const missing: string[] = []
  const covered: Record<string, unknown>[] = []
  for (const d of declared) {
    const label = `${d.name ?? 'dataset'} (root ${d.root.slice(0, 16)}…)`
    const forRoot = fresh.filter((m) => m.root === d.root)
    const res = evaluateSignedBy(r.signedBy, forRoot)
    if (!res.ok) {
      const anyManifest = ev.datasetManifests.some((m) => m.root === d.root)
      missing.push(anyManifest ? `${label}: ${res.reason}` : `${label}: no signed manifest with this root; pass it with --dataset-manifest`)
    } else covered.push({name: d.name, root: d.root, signers: res.counted.map(signerFacts)})
  }
  if (missing.length)
    return fail(
      'DATASET_UNSIGNED',
      `${missing.length} of ${declared.length} training dataset(s) not covered: ${list(missing, 3)}${rejected.length ? `; not counted: ${list(rejected, 2)}` : ''}`,
      {covered},
    )
  return pass('DATASETS_SIGNED', `${declared.length} training dataset(s) declared by ${declaredBy}, each covered by a signed manifest`, {covered})
}

function limits(r: LimitsRequirement, ev: Evidence): RuleOutcome {
  const problems: string[] = []
  // A symlinked file counts with its target's size: it is what a loader reads.
  const files = ev.model.files
  if (r.maxFiles !== undefined && files.length > r.maxFiles) problems.push(`${files.length} files, limit ${r.maxFiles}`)
  if (r.maxTotalBytes !== undefined && ev.model.totalBytes > r.maxTotalBytes) problems.push(`${ev.model.totalBytes} bytes in total, limit ${r.maxTotalBytes}`)
  if (r.maxFileBytes !== undefined) {
    const big = files.filter((f) => f.size > r.maxFileBytes!).map((f) => `${f.path} (${f.size} bytes)`)
    if (big.length) problems.push(`file(s) over ${r.maxFileBytes} bytes: ${list(big)}`)
  }
  if (problems.length) return fail('SIZE_LIMIT_EXCEEDED', problems.join('; '))
  return pass('WITHIN_LIMITS', `${files.length} files, ${ev.model.totalBytes} bytes`)
}

function idsOf(s: {anyOf: string[]} | {allOf: string[]}): string[] {
  return 'anyOf' in s ? s.anyOf : s.allOf
}

export function signerFacts(s: VerifiedSigner): Record<string, unknown> {
  const sig = s.signer
  return {
    source: s.source,
    identities: s.identities,
    method: sig.method,
    keyFingerprint: sig.keyFingerprint,
    keyIdentity: sig.keyIdentity,
    certificateSubject: sig.certificateSubject,
    subject: sig.subjectAlternativeNames?.[0],
    issuer: sig.oidcIssuer,
    trustedTime: s.trustedTime?.toISOString(),
    claimedTime: s.claimedTime?.toISOString(),
  }
}

export {formatDuration}
