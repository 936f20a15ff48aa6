/**
 * Content sniffing: what a file (or an archive member) is, from its bytes alone. Names and
 * extensions are never trusted — a pickle is a pickle whether it is called data.pkl, weights.bin
 * or notes.txt, and CPython accepts a pickle stream that starts with any opcode, so a pickle is
 * recognised by walking it, not by a magic number.
 */
import {walkPickle} from './pickle/walker.js'

export type ContentKind = 'zip' | 'gzip' | 'zlib' | 'bzip2' | 'xz' | 'zstd' | '7z' | 'rar' | 'tar' | 'npy' | 'gguf' | 'pickle' | 'unknown'

const IDENT = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/

/**
 * True when `b` reads as a pickle stream: the opcode walk reaches STOP, or runs off the end of a
 * head-only sample after a substantial run of valid opcodes, or breaks only after importing an
 * identifier-shaped global (a loader would already have imported it — nullifAI-style streams).
 * Text and binary files fail within a few bytes: most bytes are not opcodes, and the ones that are
 * underflow the stack.
 * @param whole false when `b` is only the first bytes of something longer
 */
export function looksLikePickle(b: Uint8Array, whole: boolean): boolean {
  if (b.length < 2) return false
  const w = walkPickle(b, 0, b.length)
  if (w.complete) return w.end >= 2
  const ops = [...w.opcodes.values()].reduce((s, n) => s + n, 0)
  const armed = w.globals.some((g) => IDENT.test(g.module) && IDENT.test(g.name)) || w.unresolved.length > 0
  if (armed) return true
  const truncated = !!w.error && /^(truncated|no STOP|unterminated)/.test(w.error.message)
  return !whole && truncated && ops >= 16
}

function isTar(b: Uint8Array): boolean {
  if (b.length < 512) return false
  const magic = String.fromCharCode(...b.subarray(257, 263))
  if (magic !== 'ustar\0' && magic !== 'ustar ') return false
  // Header checksum: the sum of the header bytes with the checksum field read as spaces.
  let sum = 0
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]
  const field = String.fromCharCode(...b.subarray(148, 156))
    .replace(/[\0 ]+$/, '')
    .trim()
  return /^[0-7]+$/.test(field) && Number.parseInt(field, 8) === sum
}

/** Bytes at the end of a file that can hold a zip end record and its comment. */
export const ZIP_TAIL = 65_535 + 22

/**
 * True when `tail` (the last bytes of some content) ends with a zip end-of-central-directory
 * record and its comment: how Python's zipfile finds a zip whatever precedes it.
 */
export function endsWithZipRecord(tail: Uint8Array): boolean {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6 && i + 22 + (tail[i + 20] | (tail[i + 21] << 8)) === tail.length)
      return true
  }
  return false
}

/** What the first bytes say this is (`head` may be a prefix of the content; `whole`: it is all of it). */
export function sniffKind(head: Uint8Array, whole = false): ContentKind {
  const b = head
  const at = (i: number, ...xs: number[]) => xs.every((x, k) => b[i + k] === x)
  if (at(0, 0x50, 0x4b, 3, 4) || at(0, 0x50, 0x4b, 5, 6)) return 'zip'
  if (at(0, 0x1f, 0x8b, 8)) return 'gzip'
  if (b.length >= 2 && b[0] === 0x78 && (b[0] * 256 + b[1]) % 31 === 0 && (b[1] & 0x20) === 0) return 'zlib'
  if (at(0, 0x42, 0x5a, 0x68) && b[3] >= 0x31 && b[3] <= 0x39) return 'bzip2'
  if (at(0, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0)) return 'xz'
  if (at(0, 0x28, 0xb5, 0x2f, 0xfd)) return 'zstd'
  if (at(0, 0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)) return '7z'
  if (at(0, 0x52, 0x61, 0x72, 0x21, 0x1a, 0x07)) return 'rar'
  if (at(0, 0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'npy'
  if (at(0, 0x47, 0x47, 0x55, 0x46)) return 'gguf'
  if (isTar(b)) return 'tar'
  if (looksLikePickle(b, whole)) return 'pickle'
  if (whole && b.length >= 22 && endsWithZipRecord(b.subarray(Math.max(0, b.length - ZIP_TAIL)))) return 'zip'
  return 'unknown'
}
