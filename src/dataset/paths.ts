/**
 * Canonical dataset paths and their order. One rule set for directories, tar members and
 * manifest lines, so that the same files give the same root whatever they were read from.
 */
/** Longest canonical path in UTF-8 bytes (PATH_MAX on Linux). */
export const MAX_PATH_BYTES = 4096

const utf8 = new TextDecoder('utf-8', {fatal: true})

/**
 * Why `p` is not a canonical path, or undefined when it is. Canonical: non-empty, relative,
 * '/'-separated, NFC, no empty/'.'/'..' components, no backslash, NUL or other control
 * characters (they make paths ambiguous in listings and sha256sum lines), no U+FFFD (the trace
 * of a name that was not UTF-8).
 */
// Printable-ASCII paths whose every component is non-empty, not '.'/'..', free of '\\', and
// that do not start with a drive letter: canonical by construction (ASCII is NFC), so the full
// check below is skipped for them — most dataset paths, read once per entry in every shard.
const CANONICAL_ASCII = /^(?![A-Za-z]:)(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x5b\x5d-\x7e]+(?:\/(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x5b\x5d-\x7e]+)*$/

export function pathProblem(p: string): string | undefined {
  if (p.length <= MAX_PATH_BYTES && CANONICAL_ASCII.test(p)) return undefined
  if (p.length === 0) return 'empty path'
  if (Buffer.byteLength(p, 'utf8') > MAX_PATH_BYTES) return `path longer than ${MAX_PATH_BYTES} bytes`
  if (p.startsWith('/')) return 'absolute path'
  if (/^[A-Za-z]:/.test(p)) return 'drive-letter path'
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'control character (NUL, newline, ...) in path'
  if (p.includes('\\')) return 'backslash in path'
  if (p.includes('\uFFFD')) return 'path is not valid UTF-8'
  if (/[\uD800-\uDFFF]/.test(p) && !isWellFormed(p)) return 'path is not valid UTF-8 (lone surrogate)'
  for (const c of p.split('/')) {
    if (c === '') return 'empty path component (leading, trailing or double slash)'
    if (c === '.' || c === '..') return `'${c}' path component`
  }
  if (p.normalize('NFC') !== p) return 'path is not in Unicode NFC'
  return undefined
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) return false
  }
  return true
}

/** Decodes raw name bytes as strict UTF-8, or undefined when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * Order of UTF-8 bytes (= code point order, `LC_ALL=C sort`). JavaScript compares UTF-16 code
 * units, which disagrees only where a surrogate pair meets a BMP character at or above U+E000;
 * the remap below fixes exactly that case at the first differing unit.
 */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000
      }
      return x < y ? -1 : 1
    }
  }
  return a.length < b.length ? -1 : 1
}

/** Sorts paths in place by UTF-8 bytes; uses the native comparison when it is provably the same. */
export function sortPaths(paths: string[]): string[] {
  const needsRemap = paths.some((p) => /[\uD800-\uFFFF]/.test(p))
  return needsRemap ? paths.sort(comparePaths) : paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}
