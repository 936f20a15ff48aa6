/**
 * The decision statement: `policy check --decision-out` signs the decision as an in-toto
 * statement in the spirit of a SLSA Verification Summary Attestation (VSA v1), subject = the
 * model's OMS root digest, so a later stage verifies one signature instead of re-running
 * every check. Reading one back (audit, later gates) goes through parseDecisionStatement.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {signStatement} from '../attest/sign-statement.js'
import {buildStatement, parseTime, type Statement} from '../attest/statement.js'
import {InputError} from '../errors.js'
import {modelNameOf} from '../oms/serialize.js'
import type {SignerSpec} from '../signing/types.js'
import type {PolicyDecision} from './types.js'

export const DECISION_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1'
export const MODELSEAL_VERIFIER_ID = 'https://modelseal.dev/policy-check/v1'

/**
 * `timeVerified` is when the check really ran (`now`); the time the policy was evaluated at
 * (`--at`, which may be in the past or future) is `modelseal.evaluatedAt` — a decision must not
 * claim it was verified at a time chosen on the command line.
 */
export function buildDecisionStatement(
  d: PolicyDecision,
  opts: {modelName: string; toolVersion: string; inputs: {uri: string; sha256: string}[]; now?: Date},
): Statement {
  if (!d.model.digest) throw new InputError('E_DECISION_NO_DIGEST', 'cannot write a decision statement without the model digest')
  return buildStatement([{name: opts.modelName, digest: {sha256: d.model.digest.sha256}}], DECISION_PREDICATE_TYPE, {
    verifier: {id: MODELSEAL_VERIFIER_ID, version: {modelseal: opts.toolVersion}},
    timeVerified: (opts.now ?? new Date()).toISOString(),
    resourceUri: `oms:sha256:${d.model.digest.sha256}`,
    policy: {uri: `file:${d.policy.path}`, digest: {sha256: d.policy.sha256}},
    inputAttestations: opts.inputs.map((i) => ({uri: i.uri, digest: {sha256: i.sha256}})),
    verificationResult: d.decision === 'allow' ? 'PASSED' : 'FAILED',
    verifiedLevels: [],
    // modelseal's own detail: the policy identity and each requirement's result.
    modelseal: {
      decision: d.decision,
      evaluatedAt: d.evaluatedAt,
      policy: {name: d.policy.name, version: d.policy.version, mode: d.policy.mode, expires: d.policy.expires},
      summary: d.summary,
      requirements: d.requirements.map((r) => ({id: r.id, type: r.type, result: r.result, code: r.code, reason: r.reason, waiver: r.waiver?.id})),
    },
  })
}

export interface ParsedDecision {
  subjectDigest: string
  verificationResult: 'PASSED' | 'FAILED'
  timeVerified?: Date
  /** The time the policy was evaluated at (`--at`), when it differs from when it ran. */
  evaluatedAt?: Date
  verifierId: string
  policy?: {name?: string; sha256?: string}
  requirements: {id: string; result: string; reason?: string}[]
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function parseDecisionStatement(st: Statement, what: string): ParsedDecision {
  const bad = (m: string) => new InputError('E_ATTESTATION_MALFORMED', `${what}: decision statement ${m}`)
  if (st.predicateType !== DECISION_PREDICATE_TYPE) throw bad(`has predicate type ${st.predicateType}`)
  const digest = st.subject[0].digest.sha256
  if (!digest) throw bad('subject has no sha256 digest')
  const p = st.predicate
  if (p.verificationResult !== 'PASSED' && p.verificationResult !== 'FAILED') throw bad('has no verificationResult')
  const verifierId = isObj(p.verifier) && typeof p.verifier.id === 'string' ? p.verifier.id : ''
  const ms = isObj(p.modelseal) ? p.modelseal : {}
  const pol = isObj(ms.policy) ? ms.policy : {}
  const polDigest = isObj(p.policy) && isObj(p.policy.digest) ? p.policy.digest.sha256 : undefined
  const reqs = Array.isArray(ms.requirements) ? ms.requirements.slice(0, 1000) : []
  return {
    subjectDigest: digest,
    verificationResult: p.verificationResult,
    timeVerified: parseTime(p.timeVerified),
    evaluatedAt: parseTime(ms.evaluatedAt),
    verifierId,
    policy: {name: typeof pol.name === 'string' ? pol.name : undefined, sha256: typeof polDigest === 'string' ? polDigest : undefined},
    requirements: reqs.filter(isObj).map((r) => ({id: String(r.id), result: String(r.result), reason: typeof r.reason === 'string' ? r.reason : undefined})),
  }
}

export async function writeDecisionStatement(
  d: PolicyDecision,
  opts: {out: string; signer: SignerSpec; modelPath: string; inputs: string[]; toolVersion: string},
): Promise<Statement> {
  const inputs = opts.inputs.map((f) => ({uri: `file:${path.resolve(f)}`, sha256: sha256File(f)}))
  const st = buildDecisionStatement(d, {modelName: modelNameOf(opts.modelPath), toolVersion: opts.toolVersion, inputs})
  await signStatement(st, opts.signer, opts.out)
  return st
}

function sha256File(f: string): string {
  try {
    return createHash('sha256').update(readFileSync(f)).digest('hex')
  } catch {
    // A directory (dataset manifest dir): digest its path; the bundle inside was verified by content.
    return createHash('sha256').update(path.resolve(f)).digest('hex')
  }
}
