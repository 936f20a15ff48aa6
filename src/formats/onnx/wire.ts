/**
 * A bounded proto2 wire-format cursor. Positions are plain numbers (exact up to 2^53, far beyond
 * any file), so files over 2 GiB work; LEN fields are returned as (offset, length) spans and only
 * read when the caller asks.
 */
import {InputError} from '../../errors.js'
import type {ByteSource} from './source.js'

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2
export const WIRE_FIXED32 = 5

const TWO_64 = 2 ** 64
const TWO_63 = 2 ** 63

export function malformed(message: string): InputError {
  return new InputError('E_ONNX_MALFORMED', `malformed ONNX protobuf: ${message}`)
}

export class Cursor {
  private buf: Buffer
  private base: number
  constructor(
    readonly src: ByteSource,
    public pos: number,
    readonly end: number,
    win?: {buf: Buffer; base: number},
  ) {
    const w = win ?? src.window(pos, 0)
    this.buf = w.buf
    this.base = w.base
  }

  /** Makes [pos, pos+n) addressable in this.buf; returns the index of pos in it. */
  private at(n: number): number {
    const i = this.pos - this.base
    if (i >= 0 && i + n <= this.buf.length) return i
    const w = this.src.window(this.pos, n)
    this.buf = w.buf
    this.base = w.base
    return this.pos - this.base
  }

  /** Decodes [offset, offset+length) as UTF-8 without an intermediate view when possible. */
  text(offset: number, length: number): string {
    const i = offset - this.base
    if (i >= 0 && i + length <= this.buf.length) return this.buf.toString('utf8', i, i + length)
    return this.src.view(offset, length).toString('utf8')
  }

  eof(): boolean {
    return this.pos >= this.end
  }

  /** Unsigned varint as a number (exact below 2^53). */
  varint(): number {
    const avail = Math.min(10, this.end - this.pos)
    if (avail <= 0) throw malformed(`truncated varint at ${this.pos}`)
    const start = this.at(avail)
    const b = this.buf
    let result = 0
    let mul = 1
    for (let i = 0; i < avail; i++) {
      const byte = b[start + i]
      result += (byte & 0x7f) * mul
      if (byte < 0x80) {
        this.pos += i + 1
        return result
      }
      mul *= 128
    }
    throw malformed(`bad varint at ${this.pos}`)
  }

  /** int64/int32 varint with two's complement sign. */
  int64(): number {
    const v = this.varint()
    return v >= TWO_63 ? v - TWO_64 : v
  }

  /** Reads a tag; returns [fieldNumber, wireType]. */
  tag(): [number, number] {
    const at = this.pos
    const t = this.varint()
    const field = Math.floor(t / 8)
    const wire = t & 7
    if (field === 0) throw malformed(`field number 0 at ${at}`)
    if (wire === 3 || wire === 4 || wire === 6 || wire === 7) throw malformed(`invalid wire type ${wire} at ${at}`)
    return [field, wire]
  }

  /** A LEN field's payload span (cursor advanced past it). */
  len(): {offset: number; length: number} {
    const length = this.varint()
    const offset = this.pos
    if (length > this.end - offset) throw malformed(`length ${length} at ${offset} runs past its message`)
    this.pos = offset + length
    return {offset, length}
  }

  fixed32Float(): number {
    if (this.end - this.pos < 4) throw malformed('truncated fixed32')
    const v = this.buf.readFloatLE(this.at(4))
    this.pos += 4
    return v
  }

  fixed64Double(): number {
    if (this.end - this.pos < 8) throw malformed('truncated fixed64')
    const v = this.buf.readDoubleLE(this.at(8))
    this.pos += 8
    return v
  }

  /** Skips a field of the given wire type; returns the number of bytes skipped. */
  skip(wire: number): number {
    const start = this.pos
    switch (wire) {
      case WIRE_VARINT:
        this.varint()
        break
      case WIRE_FIXED64:
        if (this.end - this.pos < 8) throw malformed('truncated fixed64')
        this.pos += 8
        break
      case WIRE_LEN:
        this.len()
        break
      case WIRE_FIXED32:
        if (this.end - this.pos < 4) throw malformed('truncated fixed32')
        this.pos += 4
        break
      default:
        throw malformed(`invalid wire type ${wire}`)
    }
    return this.pos - start
  }

  sub(span: {offset: number; length: number}): Cursor {
    return new Cursor(this.src, span.offset, span.offset + span.length, {buf: this.buf, base: this.base})
  }
}
