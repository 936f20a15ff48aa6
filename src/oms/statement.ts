/**
 * The in-toto Statement v1 that OMS signs: building it from a manifest, and reading a signed
 * one back into the expected manifest — every historical model_signing form included
 * (Digests/v0.1 predicate, float shard_size, either shard algorithm spelling, any order).
 */
import {createHash} from 'node:crypto'

import {VerificationError} from '../errors.js'
import {parseBoundedJson} from '../signing/bundle.js'
import type {HashAlgorithm, Manifest, ResourceDescriptor, SerializationParams} from './types.js'

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0'
export const PREDICATE_TYPE_COMPAT = 'https://model_signing/Digests/v0.1'
export const DIGEST_BYTES: Record<HashAlgorithm, number> = {sha256: 32, blake2b: 64, blake3: 32}
/** A statement listing more resources than this is refused (the bundle size limit bounds it too). */
export const MAX_RESOURCES = 1_000_000

/** The statement for a manifest, as a JS object (compact JSON is what gets signed). */
export function buildStatement(m: Manifest): Record<string, unknown> {
  const s = m.serialization
  const serialization: Record<string, unknown> = {method: s.method, hash_type: s.hashType}
  if (s.method === 'shards') serialization.shard_size = s.shardSize
  serialization.allow_symlinks = s.allowSymlinks
  if (s.ignorePaths.length > 0) serialization.ignore_paths = [...s.ignorePaths]
  return {
    _type: STATEMENT_TYPE,
    subject: [{name: m.modelName, digest: {sha256: m.rootDigest}}],
    predicateType: PREDICATE_TYPE,
    predicate: {serialization, resources: m.resources.map((r) => ({name: r.name, algorithm: r.algorithm, digest: r.digest}))},
  }
}

/** UTF-8 bytes of the compact statement JSON: the DSSE payload. */
export function statementPayload(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(buildStatement(m)), 'utf8')
}

/** SHA-256 over the raw resource digests in the given order, lowercase hex. */
export function rootDigestOf(resources: ResourceDescriptor[]): string {
  const h = createHash('sha256')
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'))
  return h.digest('hex')
}

/** The manifest a signed statement describes, plus facts about its form. */
export interface SignedManifest extends Manifest {
  predicateType: string
  /** True for the v0.2.0 `Digests/v0.1` layout (no root digest to check). */
  legacy: boolean
}

function invalid(msg: string): VerificationError {
  return new VerificationError('E_STATEMENT_INVALID', `signed statement rejected: ${msg}`)
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * A resource name must stay inside the model: relative, '/'-separated, no '..', '.', or empty
 * components, no backslash or NUL. `.` alone names a single-file model.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name === '.') return undefined
  if (name === '') return 'empty name'
  if (name.includes('\0')) return 'contains NUL'
  if (name.includes('\\')) return 'contains a backslash'
  if (name.startsWith('/') || /^[A-Za-z]:\//.test(name)) return 'absolute path'
  for (const part of name.split('/')) {
    if (part === '..') return "contains '..'"
    if (part === '' || part === '.') return "contains an empty or '.' component"
  }
  return undefined
}

export function assertSafeName(name: string): void {
  const why = unsafeNameReason(name)
  if (why) {
    throw new VerificationError('E_UNSAFE_SIGNED_PATH', `signed statement names an unsafe path ${JSON.stringify(name.slice(0, 200))}: ${why}`)
  }
}

/** Splits a shard name `path:start:end` on its last two colons (the OMS rule; paths may hold ':'). */
export function parseShardName(name: string): {path: string; start: number; end: number} | undefined {
  const m = /^(.*):(\d{1,16}):(\d{1,16})$/s.exec(name)
  if (!m) return undefined
  const start = Number(m[2])
  const end = Number(m[3])
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return undefined
  return {path: m[1], start, end}
}

function readHash(v: unknown): HashAlgorithm {
  if (v === 'sha256' || v === 'blake2b' || v === 'blake3') return v
  if (v === 'blake2') return 'blake2b'
  throw invalid(`unknown hash_type ${JSON.stringify(v)}`)
}

function readSerialization(v: unknown): SerializationParams {
  if (!isObj(v)) throw invalid('predicate has no serialization object')
  const method = v.method
  if (method !== 'files' && method !== 'shards') throw invalid(`unknown serialization method ${JSON.stringify(method)}`)
  const hashType = readHash(v.hash_type)
  let shardSize: number | undefined
  if (method === 'shards') {
    // Python writes shard_size through a protobuf Struct, i.e. as a float (1000000000.0).
    const n = typeof v.shard_size === 'string' ? Number(v.shard_size) : v.shard_size
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw invalid(`shard_size ${JSON.stringify(v.shard_size)} is not a positive integer`)
    shardSize = n
  }
  const allow = v.allow_symlinks
  if (allow !== undefined && typeof allow !== 'boolean') throw invalid('allow_symlinks is not a boolean')
  const ip = v.ignore_paths
  if (ip !== undefined && ip !== null && !(Array.isArray(ip) && ip.every((p) => typeof p === 'string'))) {
    throw invalid('ignore_paths is not a list of strings')
  }
  return {method, hashType, shardSize, allowSymlinks: allow === true, ignorePaths: ((ip as string[] | undefined) ?? []).slice()}
}

function readDigest(v: unknown, bytes: number, name: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]*$/.test(v) || v.length !== bytes * 2) {
    throw invalid(`resource ${JSON.stringify(name)} has a malformed digest`)
  }
  return v.toLowerCase()
}

/** Checks a resource's algorithm against the serialization; returns the canonical spelling. */
function canonicalAlgorithm(alg: unknown, s: SerializationParams, name: string): string {
  if (s.method === 'files') {
    if (alg !== s.hashType && !(alg === 'blake2' && s.hashType === 'blake2b')) throw invalid(`resource ${JSON.stringify(name)} has algorithm ${JSON.stringify(alg)}, expected ${s.hashType}`)
    return s.hashType
  }
  const sharded = `${s.hashType}-sharded-${s.shardSize}`
  // The spec writes the bare hash name; model_signing writes `<hash>-sharded-<N>`.
  if (alg !== sharded && alg !== s.hashType) throw invalid(`resource ${JSON.stringify(name)} has algorithm ${JSON.stringify(alg)}, expected ${sharded}`)
  return sharded
}

/** Parses and checks a signed payload; every name is checked for safety before any file is read. */
export function parseStatement(payload: Buffer): SignedManifest {
  const st = parseBoundedJson(payload, 'signed payload', 'E_STATEMENT_MALFORMED')
  if (!isObj(st)) throw invalid('not a JSON object')
  if (st._type !== STATEMENT_TYPE) throw invalid(`_type is ${JSON.stringify(st._type)}, expected ${STATEMENT_TYPE}`)
  const subjects = st.subject
  if (!Array.isArray(subjects)) throw invalid('subject is not a list')
  if (st.predicateType === PREDICATE_TYPE_COMPAT) return parseCompat(subjects)
  if (st.predicateType !== PREDICATE_TYPE) throw invalid(`predicateType is ${JSON.stringify(st.predicateType)}, expected ${PREDICATE_TYPE}`)
  if (subjects.length !== 1 || !isObj(subjects[0])) throw invalid('statement must have exactly one subject')
  const subj = subjects[0]
  const root = isObj(subj.digest) ? subj.digest.sha256 : undefined
  if (typeof root !== 'string' || !/^[0-9a-fA-F]{64}$/.test(root)) throw invalid('subject has no sha256 digest')
  const pred = st.predicate
  if (!isObj(pred)) throw invalid('predicate is not an object')
  const serialization = readSerialization(pred.serialization)
  if (!Array.isArray(pred.resources)) throw invalid('predicate has no resources list')
  if (pred.resources.length > MAX_RESOURCES) throw invalid(`more than ${MAX_RESOURCES} resources`)
  const bytes = DIGEST_BYTES[serialization.hashType]
  const seen = new Set<string>()
  const resources: ResourceDescriptor[] = pred.resources.map((r: unknown) => {
    if (!isObj(r) || typeof r.name !== 'string') throw invalid('a resource has no name')
    const name = r.name
    if (seen.has(name)) throw invalid(`resource ${JSON.stringify(name)} is listed twice`)
    seen.add(name)
    if (serialization.method === 'shards') {
      const sh = parseShardName(name)
      if (!sh) throw invalid(`shard name ${JSON.stringify(name)} is not path:start:end`)
      assertSafeName(sh.path)
    } else {
      assertSafeName(name)
    }
    return {name, algorithm: canonicalAlgorithm(r.algorithm, serialization, name), digest: readDigest(r.digest, bytes, name)}
  })
  const recomputed = rootDigestOf(resources)
  if (recomputed !== root.toLowerCase()) {
    throw invalid(`root digest ${root.toLowerCase()} does not match the listed resources (${recomputed})`)
  }
  return {
    modelName: typeof subj.name === 'string' ? subj.name : '',
    serialization,
    resources,
    rootDigest: recomputed,
    predicateType: PREDICATE_TYPE,
    legacy: false,
  }
}

/** v0.2.0: one subject per file, files + sha256, no root digest. */
function parseCompat(subjects: unknown[]): SignedManifest {
  if (subjects.length > MAX_RESOURCES) throw invalid(`more than ${MAX_RESOURCES} subjects`)
  const seen = new Set<string>()
  const resources = subjects.map((s) => {
    if (!isObj(s) || typeof s.name !== 'string' || !isObj(s.digest)) throw invalid('a v0.1 subject has no name or digest')
    if (seen.has(s.name)) throw invalid(`resource ${JSON.stringify(s.name)} is listed twice`)
    seen.add(s.name)
    assertSafeName(s.name)
    return {name: s.name, algorithm: 'sha256', digest: readDigest(s.digest.sha256, 32, s.name)}
  })
  return {
    modelName: 'compat-undefined-not-present',
    serialization: {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: []},
    resources,
    rootDigest: rootDigestOf(resources),
    predicateType: PREDICATE_TYPE_COMPAT,
    legacy: true,
  }
}
