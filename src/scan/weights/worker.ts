/**
 * Task handler of the worker engine (src/workers) for weight scans: one element range of a
 * file-backed tensor, streamed with bounded reads, answered with mergeable statistics (never
 * tensor bytes).
 */
import {FileSource} from '../../formats/tensor.js'
import {defineHandler, type HandlerContext, type HandlerResult} from '../../workers/engine.js'
import type {FloatKind, Partial} from './accumulate.js'
import {accumulateRange, byteSignatures, type ByteScanResult, type RangeReader} from './scan-tensor.js'

export interface WeightJob {
  file: string
  byteOffset: number
  byteLength: number
  kind: FloatKind | 'bytes'
  /** Elements (float kinds) or bytes ('bytes') [from, to) of the tensor. */
  from: number
  to: number
}

export type WeightJobResult = {partial: Partial} | {bytes: ByteScanResult}

export async function handle(job: WeightJob, ctx: HandlerContext): Promise<HandlerResult<WeightJobResult>> {
  // One open per job (jobs are tens of MiB): no descriptor outlives its job on any lane.
  const src = await FileSource.open(job.file)
  try {
    let scratch: Uint8Array | undefined
    const read: RangeReader = (pos, len, into) => {
      const end = Math.min(job.byteLength, pos + len)
      if (into && into.length >= end - pos) return src.read(job.byteOffset + pos, end - pos, into)
      if (!scratch || scratch.length < end - pos) scratch = new Uint8Array(end - pos)
      return src.read(job.byteOffset + pos, end - pos, scratch)
    }
    const value: WeightJobResult =
      job.kind === 'bytes' ? {bytes: await byteSignatures(read, job.from, job.to)} : {partial: await accumulateRange(job.kind, read, job.from, job.to)}
    ctx.progress((job.to - job.from) * (job.kind === 'bytes' ? 1 : widthOf(job.kind)))
    return {value}
  } finally {
    await src.close()
  }
}

function widthOf(kind: FloatKind): number {
  return kind === 'f32' ? 4 : kind === 'f64' ? 8 : 2
}

export const weightJobHandler = defineHandler(import.meta.url, handle)
