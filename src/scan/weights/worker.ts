/**
 * Worker thread for large weight scans: receives element ranges of file-backed tensors, streams
 * them with bounded reads and posts back mergeable statistics (never tensor bytes).
 */
import {parentPort} from 'node:worker_threads'

import {FileSource} from '../../formats/tensor.js'
import type {FloatKind} from './accumulate.js'
import {accumulateRange, byteSignatures, type RangeReader} from './scan-tensor.js'

export interface WorkerJob {
  id: number
  file: string
  byteOffset: number
  byteLength: number
  kind: FloatKind | 'bytes'
  from: number
  to: number
}

let cached: FileSource | undefined

async function source(file: string): Promise<FileSource> {
  if (cached?.path === file) return cached
  await cached?.close()
  cached = await FileSource.open(file)
  return cached
}

async function run(job: WorkerJob): Promise<unknown> {
  const src = await source(job.file)
  let scratch: Uint8Array | undefined
  const read: RangeReader = (pos, len) => {
    const end = Math.min(job.byteLength, pos + len)
    if (!scratch || scratch.length < end - pos) scratch = new Uint8Array(end - pos)
    return src.read(job.byteOffset + pos, end - pos, scratch)
  }
  if (job.kind === 'bytes') return {bytes: await byteSignatures(read, job.from, job.to)}
  return {partial: await accumulateRange(job.kind, read, job.from, job.to)}
}

parentPort?.on('message', (msg: WorkerJob | {close: true}) => {
  if ('close' in msg) {
    void (cached?.close() ?? Promise.resolve()).finally(() => process.exit(0))
    return
  }
  run(msg).then(
    (r) => parentPort?.postMessage({id: msg.id, ...(r as object)}),
    (err: unknown) => parentPort?.postMessage({id: msg.id, error: err instanceof Error ? err.message : String(err)}),
  )
})
