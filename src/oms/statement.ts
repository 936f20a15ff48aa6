/**
 * The in-toto Statement v1 that OMS signs: building it from a manifest, and reading a signed
 * one back into the expected manifest — every historical model_signing form included
 * (Digests/v0.1 predicate, float shard_size, either shard algorithm spelling, any order).
 */
import {InputError, VerificationError} from '../errors.js'
import {parseBoundedJson} from '../signing/bundle.js'
import {canonicalDigestHex, computeRootDigest, MAX_RESOURCES, parseResourceName, shardAlgorithm, unsafePathReason} from './resource-name.js'
import type {HashAlgorithm, Manifest, ResourceDescriptor, SerializationMethod, SerializationParams} from './types.js'

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0'
export const PREDICATE_TYPE_COMPAT = 'https://model_signing/Digests/v0.1'
export const DIGEST_BYTES: Record<HashAlgorithm, number> = {sha256: 32, blake2b: 64, blake3: 32}

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
 * Checks a signed resource name with the signer's own rules (resource-name.ts): an unsafe path is
 * E_UNSAFE_SIGNED_PATH, a non-canonical shard name (`w.bin:00:1000`) E_STATEMENT_INVALID.
 */
function checkSignedName(name: string, method: SerializationMethod): void {
  try {
    parseResourceName(name, method)
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    if (err.code === 'E_BAD_SHARD_NAME') throw invalid(`shard name ${JSON.stringify(name.slice(0, 200))} is not path:start:end`)
    const path = method === 'shards' ? name.replace(/:\d+:\d+$/, '') : name
    throw new VerificationError(
      'E_UNSAFE_SIGNED_PATH',
      `signed statement names an unsafe path ${JSON.stringify(path.slice(0, 200))}: ${unsafePathReason(path) ?? 'invalid'}`,
    )
  }
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
  const hex = canonicalDigestHex(v, bytes)
  if (hex === undefined) throw invalid(`resource ${JSON.stringify(name)} has a malformed digest`)
  return hex
}

/** Checks a resource's algorithm against the serialization; returns the canonical spelling. */
function canonicalAlgorithm(alg: unknown, s: SerializationParams, name: string): string {
  if (s.method === 'files') {
    if (alg !== s.hashType && !(alg === 'blake2' && s.hashType === 'blake2b'))
      throw invalid(`resource ${JSON.stringify(name)} has algorithm ${JSON.stringify(alg)}, expected ${s.hashType}`)
    return s.hashType
  }
  const sharded = shardAlgorithm(s.hashType, s.shardSize as number)
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
    checkSignedName(name, serialization.method)
    return {name, algorithm: canonicalAlgorithm(r.algorithm, serialization, name), digest: readDigest(r.digest, bytes, name)}
  })
  const recomputed = computeRootDigest(resources)
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
    checkSignedName(s.name, 'files')
    return {name: s.name, algorithm: 'sha256', digest: readDigest(s.digest.sha256, 32, s.name)}
  })
  return {
    modelName: 'compat-undefined-not-present',
    serialization: {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: []},
    resources,
    rootDigest: computeRootDigest(resources),
    predicateType: PREDICATE_TYPE_COMPAT,
    legacy: true,
  }
}
