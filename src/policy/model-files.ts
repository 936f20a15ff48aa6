/**
 * Facts read from the model's own bytes: its file list (sizes, symlinks) for limits, and the
 * ONNX operator and external-data facts for onnx requirements (parsed by src/formats/onnx).
 */
import path from 'node:path'

import {ModelsealError} from '../errors.js'
import {openOnnx} from '../formats/onnx/reader.js'
import {isExternal} from '../formats/onnx/tensors.js'
import {walkNodes, walkTensors} from '../formats/onnx/walk.js'
import {enumerateModel} from '../oms/enumerate.js'
import {IgnoreMatcher, resolveIgnores} from '../oms/ignore.js'
import type {SerializationParams} from '../oms/types.js'
import type {LocalFile, OnnxFileFacts} from './evidence.js'
import {normDomain} from './schema-requirements.js'

/** ONNX files analysed per check; a model with more is judged on an error, not silently. */
export const MAX_ONNX_FILES = 256

export interface ModelDigester {
  /** OMS root digest of the local model with this serialization (default files/sha256). */
  digest(params: SerializationParams | undefined): Promise<{rootDigest: string; serialization: SerializationParams}>
}

/** Lists the model's files (symlinks listed, never followed out), minus git paths and sidecars. */
export function listModelFiles(modelPath: string, sidecars: string[]): {files: LocalFile[]; totalBytes: number} {
  const ignores = resolveIgnores(modelPath, {ignorePaths: sidecars, ignoreGitPaths: true})
  const listing = enumerateModel(modelPath, {ignore: new IgnoreMatcher(ignores.paths), allowSymlinks: true})
  const files = listing.files.map((f) => ({path: f.name === '.' ? path.basename(modelPath) : f.name, size: f.size, symlink: f.symlink}))
  return {files, totalBytes: files.filter((f) => !f.symlink).reduce((a, f) => a + f.size, 0)}
}

function isOnnxName(p: string): boolean {
  return /\.onnx$/i.test(p)
}

export function onnxFacts(modelPath: string, files: LocalFile[]): OnnxFileFacts[] {
  const root = path.resolve(modelPath)
  const single = files.length === 1 && !files[0].path.includes('/') && path.basename(root) === files[0].path
  const onnx = files.filter((f) => !f.symlink && isOnnxName(f.path))
  if (onnx.length > MAX_ONNX_FILES) return [{file: '(model)', error: `more than ${MAX_ONNX_FILES} ONNX files`, operators: [], externalData: []}]
  return onnx.map((f) => {
    const abs = single ? root : path.join(root, f.path)
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
        return {file: f.path, operators: [...counts.values()], externalData: [...external]}
      } finally {
        source.close()
      }
    } catch (err) {
      if (!(err instanceof ModelsealError)) throw err
      return {file: f.path, error: `${err.code}: ${err.message}`, operators: [], externalData: []}
    }
  })
}
