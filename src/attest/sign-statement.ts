/**
 * Producing modelseal's signed statements (the scan attestation here; the policy decision in
 * src/policy/decision-statement.ts).
 * Signing goes through the one signing module; files are written atomically.
 */
import {lstatSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {writeAtomically} from '../io/index.js'
import {modelNameOf, serializeModel} from '../oms/serialize.js'
import {signModel, type SignModelOptions, type SignModelResult} from '../oms/sign.js'
import type {SerializationParams} from '../oms/types.js'
import type {ScanReport} from '../scan/types.js'
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
 * Scans the model, computes its OMS root digest (files/sha256 unless told otherwise), and signs
 * the report as a statement about that digest. The output file is excluded from the digest.
 */
export async function attestScan(opts: {
  modelPath: string
  signer: SignerSpec
  output: string
  runScan: (modelPath: string) => Promise<ScanReport>
  ignorePaths?: string[]
  now?: Date
}): Promise<ScanAttestationResult> {
  const {manifest} = await serializeModel(opts.modelPath, {
    method: 'files',
    hashType: 'sha256',
    ignorePaths: [...(opts.ignorePaths ?? []), opts.output],
    ignoreGitPaths: true,
    allowSymlinks: false,
  })
  if (manifest.resources.length === 0) throw new InputError('E_EMPTY_MODEL', `model ${opts.modelPath} has no files to attest`)
  const report = relativeReport(await opts.runScan(opts.modelPath), opts.modelPath)
  // The output path is an implementation detail of this run: record only the user's ignores.
  const serialization: SerializationParams = {
    ...manifest.serialization,
    ignorePaths: manifest.serialization.ignorePaths.filter((p) => !isOutput(opts.modelPath, opts.output, p)),
  }
  const statement = buildScanStatement({
    modelName: modelNameOf(opts.modelPath),
    rootDigest: manifest.rootDigest,
    serialization,
    report,
    scannedAt: opts.now ?? new Date(),
  })
  await signStatement(statement, opts.signer, opts.output)
  return {output: path.resolve(opts.output), statement, rootDigest: manifest.rootDigest, serialization, report}
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
  // The hashing and the scan read the files separately (each from the page cache, on its own
  // lane): the attestation may only describe the signed bytes, so every file must be the same
  // (inode, size, modification and change times) from before the first read to after the last.
  const own = [output, ...(opts.signaturePath ? [path.resolve(opts.signaturePath)] : [])]
  const before = fileStamps(modelPath, own)
  // Both started before either is awaited: the scan's reads and checks overlap the hashing. A
  // single file hashes on this thread; the weight scan takes the other lanes (worker threads).
  const scanning = opts.runScan(modelPath, {weightLanes: Math.max(1, sharedEngine().parallelism - 1)})
  scanning.catch(() => undefined)
  const inside = !path.relative(path.resolve(modelPath), output).startsWith('..')
  const signed = await signModel(modelPath, {...opts, ignorePaths: [...(opts.ignorePaths ?? []), ...(inside ? [output] : [])]})
  // Paths relative to the model, as `attest scan` writes them: a policy checks coverage against them.
  const report = relativeReport(await scanning, modelPath)
  const changed = changedFile(before, fileStamps(modelPath, own))
  if (changed !== null) {
    throw new InputError(
      'E_FILE_CHANGED',
      `${changed} changed while the model was being signed and scanned: no scan attestation written (sign again; the signature covers the bytes that were hashed)`,
    )
  }
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
