/**
 * Task handler of the worker engine (src/workers) for weight scans: one element range of a
 * file-backed tensor, streamed with bounded reads, answered with mergeable statistics (never
 * tensor bytes).
 *
 * On a worker thread the reads are synchronous, in this thread: the bytes land in this core's
 * cache right before the kernel reads them, and no libuv pool thread is woken per chunk (with
 * `sign --scan-attestation` the pool threads already copy the hash's read-ahead, on the same two
 * cores). On the main lane reads stay asynchronous so the event loop keeps handing out tasks.
 */
import fs from 'node:fs'
import {isMainThread} from 'node:worker_threads'

import {InputError} from '../../errors.js'
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

/**
 * Bytes per synchronous read on a worker thread: half this core's L2 (1 MiB here), so the kernel
 * reads the chunk from L2 rather than L3. A multiple of HALF elements of every width; any size
 * gives the same statistics (accumulateRange).
 */
export const THREAD_CHUNK_BYTES = 512 << 10

/** Reads `len` bytes at `pos` of the file (fewer only at its end), as FileSource.read does. */
type Source = {read(pos: number, len: number, into?: Uint8Array): Promise<Uint8Array> | Uint8Array; close(): Promise<void> | void}

/** A file read with readSync on the calling thread (worker threads only). */
function syncSource(file: string): Source {
  const fd = fs.openSync(file, 'r')
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw new InputError('E_NOT_A_FILE', `${file} is not a regular file`)
    const size = st.size
    return {
      read(pos, len, into) {
        if (pos < 0 || len < 0 || !Number.isSafeInteger(pos) || !Number.isSafeInteger(len)) {
          throw new InputError('E_BAD_RANGE', `bad read range ${pos}+${len}`)
        }
        const n = Math.max(0, Math.min(len, size - pos))
        const buf = into && into.length >= n ? into.subarray(0, n) : new Uint8Array(n)
        let done = 0
        while (done < n) {
          const r = fs.readSync(fd, buf, done, n - done, pos + done)
          if (r === 0) break
          done += r
        }
        return done === n ? buf : buf.subarray(0, done)
      },
      close: () => fs.closeSync(fd),
    }
  } catch (err) {
    fs.closeSync(fd)
    throw err
  }
}

export async function handle(job: WeightJob, ctx: HandlerContext): Promise<HandlerResult<WeightJobResult>> {
  // One open per job (jobs are tens of MiB): no descriptor outlives its job on any lane.
  const src: Source = isMainThread ? await FileSource.open(job.file) : syncSource(job.file)
  try {
    let scratch: Uint8Array | undefined
    const read: RangeReader = (pos, len, into) => {
      const end = Math.min(job.byteLength, pos + len)
      if (into && into.length >= end - pos) return src.read(job.byteOffset + pos, end - pos, into)
      if (!scratch || scratch.length < end - pos) scratch = new Uint8Array(end - pos)
      return src.read(job.byteOffset + pos, end - pos, scratch)
    }
    const value: WeightJobResult =
      job.kind === 'bytes'
        ? {bytes: await byteSignatures(read, job.from, job.to)}
        : {partial: await accumulateRange(job.kind, read, job.from, job.to, isMainThread ? undefined : THREAD_CHUNK_BYTES)}
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
