/**
 * Random access to the bytes of an ONNX file. Small files are read whole (fast path); large ones
 * (and anything over the 2 GiB Buffer/readFileSync limits) are read through a sliding window by
 * positional reads, so weight payloads are never loaded just to parse the graph.
 */
import {closeSync, readFileSync, readSync} from 'node:fs'

import {InputError} from '../../errors.js'
import {openRegularFile} from '../../io/index.js'

/** Files up to this size are read into memory in one go. */
export const WHOLE_FILE_LIMIT = 64 * 1024 * 1024
/** Window size for windowed reads of larger files. */
export const WINDOW_BYTES = 4 * 1024 * 1024

export interface ByteSource {
  readonly size: number
  /** true when every `read()` is a zero-copy view over memory. */
  readonly inMemory: boolean
  /** Bytes [pos, pos+len): valid only until the next call (may share a window buffer). */
  view(pos: number, len: number): Buffer
  /**
   * A buffer holding at least [pos, pos+len) (clamped to the end), and the file offset of its first
   * byte. Lets the wire cursor index bytes directly instead of allocating a view per read.
   */
  window(pos: number, len: number): {buf: Buffer; base: number}
  /** Bytes [pos, pos+len) that stay valid: a view for in-memory sources, a fresh buffer otherwise. */
  read(pos: number, len: number): Buffer
  close(): void
}

function checkRange(size: number, pos: number, len: number): void {
  if (!(pos >= 0 && len >= 0 && pos + len <= size)) {
    throw new InputError('E_ONNX_TRUNCATED', `read past end of data (${pos}+${len} > ${size})`)
  }
}

export class MemorySource implements ByteSource {
  readonly inMemory = true
  readonly size: number
  constructor(private readonly buf: Buffer) {
    this.size = buf.length
  }
  view(pos: number, len: number): Buffer {
    checkRange(this.size, pos, len)
    return this.buf.subarray(pos, pos + len)
  }
  read(pos: number, len: number): Buffer {
    return this.view(pos, len)
  }
  window(): {buf: Buffer; base: number} {
    return {buf: this.buf, base: 0}
  }
  close(): void {}
}

export class WindowedFileSource implements ByteSource {
  readonly inMemory = false
  readonly size: number
  private win: Buffer = Buffer.alloc(0)
  private winStart = 0
  private winLen = 0
  constructor(
    private readonly fd: number,
    size: number,
  ) {
    this.size = size
  }
  view(pos: number, len: number): Buffer {
    checkRange(this.size, pos, len)
    if (pos >= this.winStart && pos + len <= this.winStart + this.winLen) {
      return this.win.subarray(pos - this.winStart, pos - this.winStart + len)
    }
    if (len > WINDOW_BYTES) return this.read(pos, len)
    // A fresh buffer per refill: cursors still holding the previous window keep valid bytes.
    this.win = Buffer.allocUnsafe(WINDOW_BYTES)
    const want = Math.min(WINDOW_BYTES, this.size - pos)
    this.fill(this.win, pos, want)
    this.winStart = pos
    this.winLen = want
    return this.win.subarray(0, len)
  }
  window(pos: number, len: number): {buf: Buffer; base: number} {
    const want = Math.min(len, this.size - pos)
    if (!(pos >= this.winStart && pos + want <= this.winStart + this.winLen)) {
      if (want > WINDOW_BYTES) return {buf: this.read(pos, want), base: pos}
      this.view(pos, Math.max(0, want))
    }
    return {buf: this.win.subarray(0, this.winLen), base: this.winStart}
  }
  read(pos: number, len: number): Buffer {
    checkRange(this.size, pos, len)
    const out = Buffer.allocUnsafe(len)
    this.fill(out, pos, len)
    return out
  }
  private fill(into: Buffer, pos: number, len: number): void {
    let done = 0
    while (done < len) {
      const n = readSync(this.fd, into, done, Math.min(len - done, 1 << 30), pos + done)
      if (n === 0) throw new InputError('E_ONNX_TRUNCATED', 'file shrank while reading')
      done += n
    }
  }
  close(): void {
    closeSync(this.fd)
  }
}

/** Opens a file as a ByteSource: whole in memory when small, windowed otherwise. */
export function openSource(filePath: string, opts: {forceWindowed?: boolean} = {}): ByteSource {
  // A path the user (or the scan walk, which checked containment) named: symlinks are followed.
  const {fd, stat: st} = openRegularFile(filePath, {code: 'E_NOT_REGULAR_FILE', followSymlinks: true})
  try {
    if (st.size <= WHOLE_FILE_LIMIT && !opts.forceWindowed) {
      const buf = readFileSync(fd)
      closeSync(fd)
      return new MemorySource(buf)
    }
    return new WindowedFileSource(fd, st.size)
  } catch (err) {
    try {
      closeSync(fd)
    } catch {
      /* already closed */
    }
    throw err
  }
}
