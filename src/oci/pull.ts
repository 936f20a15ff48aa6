/**
 * A pull that lands only verified models: the signature is checked against the manifest
 * first (nothing is downloaded for an unsigned or tampered model), every blob is streamed into a
 * private temporary directory beside the destination with its size and digest checked as it
 * arrives, the directory is then verified again from disk like `verify … DIR`, and only then
 * renamed into place. Any failure removes the temporary directory; nothing is written outside it.
 */
import {constants as fsc} from 'node:fs'
import {mkdir, mkdtemp, open, readdir, rename, rm, rmdir, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {InputError, UsageError, VerificationError} from '../errors.js'
import {verifyModel} from '../oms/verify.js'
import type {Descriptor} from './manifest.js'
import {CONFIG_RESOURCE_NAME, modelFiles} from './model.js'
import {SIGSTORE_BUNDLE_TYPE} from './media-types.js'
import {resolveModel, type RegistryOptions, type ResolvedModel} from './resolve.js'
import {MAX_SIGNATURE_BYTES, MAX_SIGNATURES_TRIED, verifyOciModel, type VerifyOciOptions, type VerifyOciResult} from './verify.js'

export interface PullOptions extends VerifyOciOptions {
  onProgress?: (bytes: number) => void
}

export interface PullResult {
  reference: string
  manifestDigest: string
  output: string
  files: {name: string; digest: string; size: number}[]
  bytes: number
  verification: VerifyOciResult
}

export async function pullModel(reference: string, output: string, opts: PullOptions): Promise<PullResult> {
  const dest = path.resolve(output)
  await checkDestination(dest)
  const verified = await verifyOciModel(reference, opts)
  const {resolved, report} = verified
  const toFetch: {name: string; blob: Descriptor}[] = modelFiles(resolved.manifest).map((f) => ({name: f.name, blob: f.layer}))
  if (report.coversConfig) toFetch.push({name: CONFIG_RESOURCE_NAME, blob: resolved.manifest.config})

  const parent = path.dirname(dest)
  await mkdir(parent, {recursive: true})
  const staging = await mkdtemp(path.join(parent, `.${path.basename(dest)}.modelseal-pull-`))
  const sigDir = await mkdtemp(path.join(tmpdir(), 'modelseal-pull-sig-'))
  let landed = false
  try {
    const bytes = await downloadFiles(resolved, toFetch, staging, opts.onProgress)
    // End to end: the files on disk, hashed again, against the same signature.
    const sigFile = path.join(sigDir, 'model.sig')
    await writeFile(sigFile, verified.bundle)
    await verifyModel(staging, {
      signaturePath: sigFile,
      verifier: opts.verifier,
      ignoreGitPaths: false,
      allowSymlinks: false,
      ignoreUnsignedFiles: opts.ignoreUnsignedFiles,
    })
    await checkDestination(dest)
    await rmdir(dest).catch(() => {})
    await rename(staging, dest)
    landed = true
    return {
      reference: report.reference,
      manifestDigest: resolved.digest,
      output: dest,
      files: toFetch.map((f) => ({name: f.name, digest: f.blob.digest, size: f.blob.size})),
      bytes,
      verification: report,
    }
  } finally {
    if (!landed) await rm(staging, {recursive: true, force: true})
    await rm(sigDir, {recursive: true, force: true})
  }
}

/** Streams each blob into `staging` under its (already checked) name; returns the bytes written. */
async function downloadFiles(
  resolved: ResolvedModel,
  files: {name: string; blob: Descriptor}[],
  staging: string,
  onProgress?: (n: number) => void,
): Promise<number> {
  let bytes = 0
  for (const f of files) {
    const file = path.join(staging, ...f.name.split('/'))
    // Titles were checked (no `..`, not absolute); this is the belt to those braces.
    if (!file.startsWith(staging + path.sep)) throw new InputError('E_OCI_UNSAFE_TITLE', `title ${JSON.stringify(f.name)} leaves the output directory`)
    await mkdir(path.dirname(file), {recursive: true})
    const fh = await open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644)
    try {
      await resolved.client.downloadBlob(f.blob, fh, onProgress)
    } finally {
      await fh.close()
    }
    bytes += f.blob.size
  }
  return bytes
}

export interface FetchedEvidence {
  reference: string
  manifestDigest: string
  /** The model's files, each checked against the manifest digest as it arrived. */
  dir: string
  /** Every signature bundle attached to the manifest, unverified (for audit and policy to judge). */
  signatureFiles: string[]
}

/**
 * For `audit` and `policy check`: the model's files (digest-checked against the manifest, into
 * `dir`, which must not exist) and the signature bundles attached to it, written under
 * `sigDir`. Nothing here says the model is trusted: those commands verify the signatures against
 * the files with their own trust material and policy.
 */
export async function fetchModelEvidence(
  reference: string,
  dir: string,
  sigDir: string,
  opts: RegistryOptions & {onProgress?: (n: number) => void},
): Promise<FetchedEvidence> {
  const resolved = await resolveModel(reference, opts)
  const files = modelFiles(resolved.manifest).map((f) => ({name: f.name, blob: f.layer}))
  const {referrers} = await resolved.client.referrers(resolved.digest, SIGSTORE_BUNDLE_TYPE)
  const signatureFiles: string[] = []
  for (const r of referrers.slice(0, MAX_SIGNATURES_TRIED)) {
    try {
      const m = await resolved.client.getManifest(r.digest)
      const layer = m?.parsed.kind === 'manifest' ? m.parsed.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_TYPE) : undefined
      if (!layer) continue
      const bytes = await resolved.client.fetchBlobBytes(layer, MAX_SIGNATURE_BYTES)
      const file = path.join(sigDir, `${r.digest.replace(':', '-')}.sig`)
      await writeFile(file, bytes, {flag: 'wx'})
      signatureFiles.push(file)
    } catch (err) {
      // A referrer that cannot be read is no evidence; the others still count.
      if (!(err instanceof InputError || err instanceof VerificationError)) throw err
    }
  }
  await mkdir(path.dirname(dir), {recursive: true})
  const staging = await mkdtemp(path.join(path.dirname(dir), `.${path.basename(dir)}.modelseal-pull-`))
  try {
    await downloadFiles(resolved, files, staging, opts.onProgress)
    await checkDestination(dir)
    await rmdir(dir).catch(() => {})
    await rename(staging, dir)
  } catch (err) {
    await rm(staging, {recursive: true, force: true})
    throw err
  }
  return {reference: resolved.pinned, manifestDigest: resolved.digest, dir, signatureFiles}
}

/** The destination must not exist, or be an empty directory (never merged into). */
async function checkDestination(dest: string): Promise<void> {
  let st
  try {
    st = await stat(dest)
  } catch {
    return
  }
  if (!st.isDirectory() || (await readdir(dest)).length > 0) {
    throw new UsageError('E_OCI_OUTPUT_EXISTS', `${dest} exists and is not an empty directory; pull into a new directory`)
  }
}
