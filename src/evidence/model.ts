/**
 * The model as it is on disk: every file (nothing is hidden because a signer, a scanner or an
 * evidence path chose to skip it; only verified evidence files that the caller names are left
 * out), its OMS digests under any serialization, its identity, and the facts of its ONNX files
 * (found by content, with the scanner's own format detection).
 */
import {closeSync, lstatSync, openSync, readSync} from 'node:fs'
import path from 'node:path'

import {InputError, ModelsealError} from '../errors.js'
import {openOnnx} from '../formats/onnx/reader.js'
import {isExternal} from '../formats/onnx/tensors.js'
import {walkNodes, walkTensors} from '../formats/onnx/walk.js'
import {enumerateModel} from '../oms/enumerate.js'
import {IgnoreMatcher, normalizeRelativeIgnore} from '../oms/ignore.js'
import {serializeModel} from '../oms/serialize.js'
import type {Manifest, SerializationParams} from '../oms/types.js'
import type {LocalFile, OnnxFileFacts} from './types.js'

/** ONNX files analysed per check; a model with more is judged on an error, not silently. */
export const MAX_ONNX_FILES = 256

/** How a model is hashed: the OMS serialization without its ignore list. */
export type HashParams = Pick<SerializationParams, 'method' | 'hashType' | 'shardSize' | 'allowSymlinks'>

/** The identity serialization: what `modelseal digest` computes (files, sha256), over every file. */
export const IDENTITY_PARAMS: HashParams = {method: 'files', hashType: 'sha256', allowSymlinks: true}

/** '' and 'ai.onnx' both name the default ONNX domain. */
export function normDomain(d: string): string {
  return d === 'ai.onnx' ? '' : d
}

export class LocalModel {
  readonly path: string
  readonly isFile: boolean
  readonly files: LocalFile[]
  readonly totalBytes: number
  /**
   * Symlinks to directories inside the model: never followed or hashed, but a loader that opens
   * `link/weights.bin` reads whatever they point to, so rules must see them.
   */
  readonly linkedDirectories: string[]
  /** Model-relative names of the excluded evidence files. */
  readonly excluded: string[]
  private readonly digests = new Map<string, Promise<Manifest>>()

  /**
   * @param exclude absolute paths of verified evidence files inside the model that the caller
   *   allows to be left out (exact files; a directory is never excluded).
   */
  constructor(modelPath: string, exclude: string[] = []) {
    this.path = path.resolve(modelPath)
    const st = lstatOrThrow(this.path, modelPath)
    if (st.isSymbolicLink()) {
      throw new InputError(
        'E_MODEL_SYMLINK',
        `model path ${modelPath} is a symlink; pass the directory or file it points to (a gate checks what it is given, not where a link leads)`,
      )
    }
    this.isFile = st.isFile()
    this.excluded = this.isFile
      ? []
      : exclude
          .map((p) => path.relative(this.path, path.resolve(p)).split(path.sep).join('/'))
          .filter((r) => r !== '' && !r.startsWith('..') && !path.isAbsolute(r))
    const listing = enumerateModel(this.path, {ignore: new IgnoreMatcher(this.excluded), allowSymlinks: true})
    this.files = listing.files.map((f) => ({path: f.name === '.' ? path.basename(this.path) : f.name, size: f.size, symlink: f.symlink}))
    const structured = (listing as {linkedDirectories?: string[]}).linkedDirectories
    this.linkedDirectories =
      structured ?? listing.warnings.map((w) => /^symlink (.+) points to a directory; /.exec(w)?.[1]).filter((d): d is string => d !== undefined)
    // A symlinked file counts with its target's size (what a loader reads).
    this.totalBytes = this.files.reduce((a, f) => a + f.size, 0)
  }

  /** Model-relative name of a path given on the command line or found in a report. */
  relative(p: string): string | undefined {
    const rel = path.relative(this.path, path.resolve(p))
    if (rel === '') return this.isFile ? path.basename(this.path) : undefined
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined
    return rel.split(path.sep).join('/')
  }

  /**
   * The OMS manifest of the model on disk with these parameters; `recordedIgnores` (model-relative,
   * as a statement records them) are the only files left out besides the excluded evidence.
   */
  manifest(params: HashParams, recordedIgnores: string[] = []): Promise<Manifest> {
    // Parameters that cannot change the result are dropped from the cache key, so the usual check
    // (signature, identity and scan attestation all files/sha256) hashes the model once: symlink
    // permission when there is no symlink, and ignore paths that match nothing on disk.
    const allowSymlinks = params.allowSymlinks || !this.files.some((f) => f.symlink)
    const ignores = recordedIgnores.map(normalizeRelativeIgnore).filter((ig) => this.files.some((f) => f.path === ig || f.path.startsWith(`${ig}/`)))
    const key = JSON.stringify([params.method, params.hashType, params.shardSize ?? null, allowSymlinks, [...new Set(ignores)].sort()])
    let m = this.digests.get(key)
    if (!m) {
      m = serializeModel(this.path, {
        method: params.method,
        hashType: params.hashType,
        shardSize: params.shardSize,
        recordedIgnorePaths: [...this.excluded, ...ignores],
        ignoreGitPaths: false,
        allowSymlinks,
        allowBlake3Shards: true,
      }).then((r) => r.manifest)
      this.digests.set(key, m)
    }
    return m
  }

  /** The model's identity: files/sha256 root digest of every file on disk, in OMS order. */
  async identity(): Promise<string> {
    return (await this.manifest(IDENTITY_PARAMS)).rootDigest
  }

  /** ONNX facts of every file whose content the scanner recognises as ONNX, whatever its name. */
  async onnxFacts(): Promise<OnnxFileFacts[]> {
    // Loaded on demand: the scanners cost start-up time that signature-only policies do not need.
    const {pickScanner} = await import('../scan/engine.js')
    const {HEAD_BYTES} = await import('../scan/format-scanner.js')
    // A symlinked file is read through the link, like a loader would.
    const onnx = this.files.filter((f) => pickScanner(readHead(this.abs(f.path), f.path, HEAD_BYTES), f.path)?.format === 'onnx')
    if (onnx.length > MAX_ONNX_FILES) return [{file: '(model)', error: `more than ${MAX_ONNX_FILES} ONNX files`, operators: [], externalData: []}]
    return onnx.map((f) => onnxFileFacts(this.abs(f.path), f.path))
  }

  abs(rel: string): string {
    return this.isFile ? this.path : path.join(this.path, ...rel.split('/'))
  }
}

function lstatOrThrow(abs: string, given: string) {
  try {
    return lstatSync(abs)
  } catch {
    throw new InputError('E_MODEL_NOT_FOUND', `model path ${given} does not exist`)
  }
}

function readHead(file: string, name: string, max: number): Buffer {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    throw new InputError('E_IO', `cannot read ${name}: ${(err as Error).message}`)
  }
  try {
    const head = Buffer.alloc(max)
    const n = readSync(fd, head, 0, max, 0)
    return head.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

function onnxFileFacts(abs: string, name: string): OnnxFileFacts {
  try {
    const {model, source} = openOnnx(abs)
    try {
      const counts = new Map<string, {domain: string; op: string; count: number}>()
      for (const {node} of walkNodes(model)) {
        const domain = normDomain(node.domain)
        const k = `${domain}\u0000${node.opType}`
        const e = counts.get(k) ?? {domain, op: node.opType, count: 0}
        e.count++
        counts.set(k, e)
      }
      const external = new Set<string>()
      for (const {tensor} of walkTensors(model)) {
        if (!isExternal(tensor)) continue
        const loc = tensor.external.find((kv) => kv.key === 'location')?.value
        external.add(typeof loc === 'string' ? loc : `(tensor ${tensor.name})`)
      }
      return {file: name, operators: [...counts.values()], externalData: [...external]}
    } finally {
      source.close()
    }
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    return {file: name, error: `${err.code}: ${err.message}`, operators: [], externalData: []}
  }
}
