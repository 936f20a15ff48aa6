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

import {InputError, UsageError} from '../errors.js'
import {verifyModel} from '../oms/verify.js'
import type {Descriptor} from './manifest.js'
import {CONFIG_RESOURCE_NAME, modelFiles} from './model.js'
import {verifyOciModel, type VerifyOciOptions, type VerifyOciResult} from './verify.js'

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
    let bytes = 0
    for (const f of toFetch) {
      const file = path.join(staging, ...f.name.split('/'))
      // Titles were checked (no `..`, not absolute); this is the belt to those braces.
      if (!file.startsWith(staging + path.sep)) throw new InputError('E_OCI_UNSAFE_TITLE', `title ${JSON.stringify(f.name)} leaves the output directory`)
      await mkdir(path.dirname(file), {recursive: true})
      const fh = await open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644)
      try {
        await resolved.client.downloadBlob(f.blob, fh, opts.onProgress)
      } finally {
        await fh.close()
      }
      bytes += f.blob.size
    }
    // End to end: the files on disk, hashed again, against the same signature.
    const sigFile = path.join(sigDir, 'model.sig')
    await writeFile(sigFile, verified.bundle)
    await verifyModel(staging, {signaturePath: sigFile, verifier: opts.verifier, ignoreGitPaths: false, allowSymlinks: false, ignoreUnsignedFiles: opts.ignoreUnsignedFiles})
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
