/**
 * Producing modelseal's signed statements (the scan attestation here; the policy decision in
 * src/policy/decision-statement.ts).
 * Signing goes through the one signing module; files are written atomically.
 */
import {lstatSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {InputError, UsageError, VerificationError} from '../errors.js'
import {writeAtomically} from '../io/index.js'
import {modelNameOf, serializeModel} from '../oms/serialize.js'
import {signModel, type SignModelOptions, type SignModelResult} from '../oms/sign.js'
import type {SerializationParams} from '../oms/types.js'
import type {ScanReport} from '../scan/types.js'
import {parseStatement, type SignedManifest} from '../oms/statement.js'
import {parseBundle, readBundleFile} from '../signing/bundle.js'
import {serializeBundle, signPayload} from '../signing/index.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../signing/dsse.js'
import type {BundleJson, SignerSpec} from '../signing/types.js'
import {sharedEngine} from '../workers/engine.js'
import {buildScanStatement} from './scan-predicate.js'
import {statementBytes, type Statement} from './statement.js'

export async function signStatement(st: Statement, signer: SignerSpec, out: string): Promise<BundleJson> {
  const bundle = await signPayload(statementBytes(st), IN_TOTO_PAYLOAD_TYPE, signer)
  writeAtomically(path.resolve(out), serializeBundle(bundle))
  return bundle
}

export interface ScanAttestationResult {
  output: string
  statement: Statement
  rootDigest: string
  serialization: SerializationParams
  report: ScanReport
}

/**
 * Scans the model, computes its OMS root digest, and signs the report as a statement about that
 * digest. The output file is excluded from the digest. The hashing and the scan run at the same
 * time (each reads the files once; the scan on the other lanes), and the files must not change
 * meanwhile (fail closed: E_FILE_CHANGED).
 *
 * With `signaturePath` (a model signature; its own signature is not checked here — verification
 * needs the signer's key, and a policy does it), the digest is computed with the signature's own
 * serialization (method, hash, shard size, recorded ignore paths) and must equal its signed root
 * digest (E_MODEL_MISMATCH otherwise): the attestation is then bound to exactly what was signed.
 * Without it: files/sha256.
 */
export async function attestScan(opts: {
  modelPath: string
  signer: SignerSpec
  output: string
  runScan: (modelPath: string, scan?: {weightLanes?: number}) => Promise<ScanReport>
  ignorePaths?: string[]
  signaturePath?: string
  now?: Date
}): Promise<ScanAttestationResult> {
  const output = path.resolve(opts.output)
  const signed = opts.signaturePath ? signedManifestOf(opts.signaturePath) : null
  if (opts.signaturePath && path.resolve(opts.signaturePath) === output) {
    throw new UsageError('E_USAGE', 'the scan attestation and the signature must be different files')
  }
  const s = signed?.serialization
  const {value: serialized, report} = await hashWhileScanning(
    opts.modelPath,
    [output, ...(opts.signaturePath ? [path.resolve(opts.signaturePath)] : [])],
    () =>
      serializeModel(opts.modelPath, {
        method: s?.method ?? 'files',
        hashType: s?.hashType ?? 'sha256',
        shardSize: s?.shardSize,
        ignorePaths: [...(opts.ignorePaths ?? []), opts.output],
        recordedIgnorePaths: s?.ignorePaths,
        ignoreGitPaths: !signed,
        allowSymlinks: s?.allowSymlinks ?? false,
        signaturePath: opts.signaturePath,
        readAhead: false,
      }),
    opts.runScan,
  )
  const {manifest} = serialized
  if (manifest.resources.length === 0) throw new InputError('E_EMPTY_MODEL', `model ${opts.modelPath} has no files to attest`)
  if (signed && manifest.rootDigest !== signed.rootDigest) {
    throw new VerificationError(
      'E_MODEL_MISMATCH',
      `the model's digest sha256:${manifest.rootDigest} is not the one ${opts.signaturePath} signs (sha256:${signed.rootDigest}): no scan attestation written`,
    )
  }
  // The output path is an implementation detail of this run: record only the user's ignores
  // (with a signature: its serialization, so the attestation names the same parameters).
  const serialization: SerializationParams = s ?? {
    ...manifest.serialization,
    ignorePaths: manifest.serialization.ignorePaths.filter((p) => !isOutput(opts.modelPath, opts.output, p)),
  }
  const statement = buildScanStatement({
    modelName: signed?.modelName || modelNameOf(opts.modelPath),
    rootDigest: manifest.rootDigest,
    serialization,
    report,
    scannedAt: opts.now ?? new Date(),
  })
  await signStatement(statement, opts.signer, opts.output)
  return {output, statement, rootDigest: manifest.rootDigest, serialization, report}
}

/** The statement a model signature carries (read, not verified). */
function signedManifestOf(signaturePath: string): SignedManifest {
  const parsed = parseBundle(readBundleFile(path.resolve(signaturePath)))
  if (parsed.envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError('E_PAYLOAD_TYPE', `${signaturePath}: payload type is "${parsed.envelope.payloadType}", expected ${IN_TOTO_PAYLOAD_TYPE}`)
  }
  const m = parseStatement(parsed.envelope.payload)
  if (m.legacy) throw new InputError('E_STATEMENT_MALFORMED', `${signaturePath}: a v0.2 signature has no root digest to attest against`)
  return m
}

/**
 * Runs `hash` (on this thread: one big file hashes inline) and the scan (its weight jobs on the
 * other lanes) at the same time. The hash reads in its own thread (readAhead: false): read-ahead
 * copies on the libuv pool would run on the core the scan needs (1 GiB safetensors, 2 vCPUs:
 * 0.88 s vs 1.03 s wall, 1.51 s vs 1.65 s CPU; sign alone 0.71 s). They read the files separately, so every file under the model
 * must be the same (inode, size, modification and change times) from before the first read to
 * after the last: otherwise E_FILE_CHANGED and nothing is attested.
 */
async function hashWhileScanning<T>(
  modelPath: string,
  own: string[],
  hash: () => Promise<T>,
  runScan: (modelPath: string, scan?: {weightLanes?: number}) => Promise<ScanReport>,
): Promise<{value: T; report: ScanReport}> {
  const before = fileStamps(modelPath, own)
  const scanning = runScan(modelPath, {weightLanes: Math.max(1, sharedEngine().parallelism - 1)})
  scanning.catch(() => undefined)
  const value = await hash()
  // Paths relative to the model, as `attest scan` writes them: a policy checks coverage against them.
  const report = relativeReport(await scanning, modelPath)
  const changed = changedFile(before, fileStamps(modelPath, own))
  if (changed !== null) {
    throw new InputError(
      'E_FILE_CHANGED',
      `${changed} changed while the model was being hashed and scanned: no scan attestation written (run again; a signature written meanwhile covers the bytes that were hashed)`,
    )
  }
  return {value, report}
}

/**
 * The report with file paths relative to the model (the scanner prints them as given on the
 * command line), so a verifier can hold each one against the model's files. For a single-file
 * model the path is the file's name.
 */
export function relativeReport(report: ScanReport, modelPath: string): ScanReport {
  const root = path.resolve(modelPath)
  const rel = (p: string) => {
    const r = path.relative(root, path.resolve(p))
    return r === '' ? path.basename(root) : r.split(path.sep).join('/')
  }
  return {
    ...report,
    files: report.files.map((f) => ({...f, path: rel(f.path)})),
    ...(report.skipped ? {skipped: report.skipped.map((x) => ({...x, path: rel(x.path)}))} : {}),
  }
}

/**
 * Inode, size, modification and change time (ns) of every file and link under the model, by path
 * (directories change when the signature or attestation is written inside: not compared).
 */
function fileStamps(modelPath: string, exclude: string[]): Map<string, string> {
  const out = new Map<string, string>()
  const stamp = (p: string) => {
    const st = lstatSync(p, {bigint: true})
    if (!st.isDirectory()) out.set(p, `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`)
    return st
  }
  const root = path.resolve(modelPath)
  if (!stamp(root).isDirectory()) return out
  for (const e of readdirSync(root, {recursive: true, withFileTypes: true})) {
    const p = path.join((e as {parentPath?: string}).parentPath ?? (e as {path?: string}).path ?? root, e.name)
    if (!exclude.includes(p)) stamp(p)
  }
  return out
}

function changedFile(a: Map<string, string>, b: Map<string, string>): string | null {
  for (const [p, s] of a) if (b.get(p) !== s) return p
  for (const p of b.keys()) if (!a.has(p)) return p
  return null
}

function isOutput(modelPath: string, out: string, rel: string): boolean {
  return path.resolve(modelPath, rel) === path.resolve(out)
}

/**
 * `sign … --scan-attestation FILE`: signs the model and, about the same root digest, a scan
 * attestation with the same signer. The model is enumerated and hashed once for both signatures,
 * and the scan runs at the same time as the hashing, on the same worker engine (sign then
 * `attest scan` would hash the model twice, one after the other, and scan after that).
 * The attestation file is excluded from the model like the signature.
 */
export async function signModelWithScan(
  modelPath: string,
  opts: SignModelOptions & {
    scanAttestation: string
    runScan: (modelPath: string, scan?: {weightLanes?: number}) => Promise<ScanReport>
    now?: Date
  },
): Promise<SignModelResult & {scan: ScanAttestationResult}> {
  const output = path.resolve(opts.scanAttestation)
  if (opts.signaturePath && path.resolve(opts.signaturePath) === output) {
    throw new UsageError('E_USAGE', 'the scan attestation and the signature must be different files')
  }
  const inside = !path.relative(path.resolve(modelPath), output).startsWith('..')
  const {value: signed, report} = await hashWhileScanning(
    modelPath,
    [output, ...(opts.signaturePath ? [path.resolve(opts.signaturePath)] : [])],
    () => signModel(modelPath, {...opts, readAhead: false, ignorePaths: [...(opts.ignorePaths ?? []), ...(inside ? [output] : [])]}),
    opts.runScan,
  )
  const serialization: SerializationParams = {
    ...signed.manifest.serialization,
    ignorePaths: signed.manifest.serialization.ignorePaths.filter((p) => !isOutput(modelPath, output, p)),
  }
  const statement = buildScanStatement({
    modelName: modelNameOf(modelPath),
    rootDigest: signed.manifest.rootDigest,
    serialization,
    report,
    scannedAt: opts.now ?? new Date(),
  })
  await signStatement(statement, opts.signer, output)
  return {...signed, scan: {output, statement, rootDigest: signed.manifest.rootDigest, serialization, report}}
}
