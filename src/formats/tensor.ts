/**
 * The common tensor description every weight reader yields (safetensors, PyTorch storages, NumPy,
 * GGUF, ONNX initializers) and the bounded random-access file reader they share. Tensor bytes are
 * never loaded whole: a TensorView either carries a view over bytes already in memory (`data`) or
 * names the file and byte range it lives in, and checks read it in bounded chunks.
 */
import {open, type FileHandle} from 'node:fs/promises'

import {InputError} from '../errors.js'

/** Normalised element types. `quant` = block-quantised (GGUF Q*), `other` = not a numeric array. */
export type TensorDType =
  | 'f64'
  | 'f32'
  | 'f16'
  | 'bf16'
  | 'f8'
  | 'i64'
  | 'i32'
  | 'i16'
  | 'i8'
  | 'u64'
  | 'u32'
  | 'u16'
  | 'u8'
  | 'bool'
  | 'c64'
  | 'c128'
  | 'quant'
  | 'other'

/** Element width in bytes; 0 for types without a fixed per-element width. */
export const DTYPE_BYTES: Record<TensorDType, number> = {
  f64: 8,
  f32: 4,
  f16: 2,
  bf16: 2,
  f8: 1,
  i64: 8,
  i32: 4,
  i16: 2,
  i8: 1,
  u64: 8,
  u32: 4,
  u16: 2,
  u8: 1,
  bool: 1,
  c64: 8,
  c128: 16,
  quant: 0,
  other: 0,
}

export function isFloatDType(d: TensorDType): d is 'f64' | 'f32' | 'f16' | 'bf16' {
  return d === 'f64' || d === 'f32' || d === 'f16' || d === 'bf16'
}

export interface TensorView {
  name: string
  dtype: TensorDType
  /** The format's own type name (e.g. "F32", "torch.FloatStorage", "Q4_K", "<f4"). */
  sourceDType?: string
  shape: number[]
  /** Absolute offset of the first byte in `file` (or in the containing file for in-memory views). */
  byteOffset: number
  byteLength: number
  /** Bytes already in memory (a view, never a copy). When absent, read from `file`. */
  data?: Uint8Array
  /** File holding the bytes when `data` is absent. */
  file?: string
  /** Archive member the tensor lives in (zip storages), for finding locations. */
  member?: string
  /** How the tensor is used, when the format knows (ONNX: operand of a mixing op). */
  role?: 'weight' | 'bias' | 'buffer' | 'mask' | 'unknown'
}

export function elementCount(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Bounded positional reads from one file; every read is checked against the file size. */
export class FileSource {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const fh = await open(path, 'r')
    try {
      const st = await fh.stat()
      if (!st.isFile()) throw new InputError('E_NOT_A_FILE', `${path} is not a regular file`)
      return new FileSource(path, fh, st.size)
    } catch (err) {
      await fh.close()
      throw err
    }
  }

  /** Reads exactly `len` bytes at `pos` (fewer only at end of file). `into` is reused when large enough. */
  async read(pos: number, len: number, into?: Uint8Array): Promise<Uint8Array> {
    if (pos < 0 || len < 0 || !Number.isSafeInteger(pos) || !Number.isSafeInteger(len)) {
      throw new InputError('E_BAD_RANGE', `bad read range ${pos}+${len}`)
    }
    const n = Math.max(0, Math.min(len, this.size - pos))
    const buf = into && into.length >= n ? into.subarray(0, n) : new Uint8Array(n)
    let done = 0
    while (done < n) {
      const {bytesRead} = await this.fh.read(buf, done, n - done, pos + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    return done === n ? buf : buf.subarray(0, done)
  }

  async close(): Promise<void> {
    await this.fh.close()
  }
}

/**
 * A problem a format reader found, in scan-neutral terms (formats never import the scan layer;
 * src/scan/weights turns these into Findings). Category defaults to format-violation.
 */
export interface FormatIssue {
  id: string
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical'
  category?: 'format-violation' | 'unsafe-pickle' | 'embedded-payload' | 'metadata' | 'unsupported'
  title: string
  message: string
  location?: {[key: string]: unknown}
  evidence?: Record<string, unknown>
}

/** A FormatIssue with no category or evidence (the readers' common case). */
export const formatIssue = (
  id: string,
  severity: FormatIssue['severity'],
  title: string,
  message: string,
  location?: FormatIssue['location'],
): FormatIssue => ({
  id,
  severity,
  title,
  message,
  ...(location ? {location} : {}),
})
