/**
 * in-toto Statement v1 helpers shared by modelseal's attestations (scan, decision) and by the
 * readers of third-party ones (provenance, dataset manifests). Readers treat the payload as
 * hostile: bounded JSON, exact field types, subjects checked before anything else is used.
 */
import {InputError} from '../errors.js'
import {parseBoundedJson} from '../signing/bundle.js'
import {parseRfc3339} from '../util/rfc3339.js'

export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1'
export const MAX_SUBJECTS = 1024

export interface Subject {
  name?: string
  digest: Record<string, string>
}

export interface Statement {
  _type: string
  subject: Subject[]
  predicateType: string
  predicate: Record<string, unknown>
}

export function buildStatement(subject: Subject[], predicateType: string, predicate: Record<string, unknown>): Statement {
  return {_type: STATEMENT_V1, subject, predicateType, predicate}
}

export function statementBytes(s: Statement): Buffer {
  return Buffer.from(JSON.stringify(s), 'utf8')
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parses a (verified) DSSE payload as an in-toto Statement v1; malformed → InputError (exit 3). */
export function parseStatement(payload: Buffer, what: string): Statement {
  const raw = parseBoundedJson(payload, what, 'E_ATTESTATION_MALFORMED')
  const bad = (msg: string) => new InputError('E_ATTESTATION_MALFORMED', `${what}: ${msg}`)
  if (!isObj(raw)) throw bad('statement is not a JSON object')
  // v0.1 statements are still produced by some tools; their layout is the same for our purposes.
  if (raw._type !== STATEMENT_V1 && raw._type !== 'https://in-toto.io/Statement/v0.1')
    throw bad(`not an in-toto statement (_type ${JSON.stringify(raw._type)})`)
  if (typeof raw.predicateType !== 'string' || raw.predicateType.length > 1024) throw bad('predicateType missing')
  if (!Array.isArray(raw.subject) || raw.subject.length === 0 || raw.subject.length > MAX_SUBJECTS) throw bad('subject must be a non-empty list')
  const subject: Subject[] = raw.subject.map((s, i) => {
    if (!isObj(s) || !isObj(s.digest)) throw bad(`subject[${i}] has no digest`)
    const digest: Record<string, string> = {}
    for (const [k, v] of Object.entries(s.digest)) {
      if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,256}$/.test(v)) throw bad(`subject[${i}].digest.${k} is not hex`)
      digest[k] = v.toLowerCase()
    }
    return {name: typeof s.name === 'string' ? s.name : undefined, digest}
  })
  const predicate = raw.predicate === undefined ? {} : raw.predicate
  if (!isObj(predicate)) throw bad('predicate is not an object')
  return {_type: raw._type, subject, predicateType: raw.predicateType, predicate}
}

/** Hex digests of a given algorithm key across subjects. */
export function subjectDigests(s: Statement, key: string): string[] {
  return s.subject.map((x) => x.digest[key]).filter((d): d is string => typeof d === 'string')
}

/** A signed time field: strict RFC 3339 (an impossible date is no date). */
export function parseTime(v: unknown): Date | undefined {
  return parseRfc3339(v)
}
