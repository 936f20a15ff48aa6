/**
 * JSON.parse for untrusted text, bounded in size and nesting. The nesting check is a linear scan
 * before parsing, because JSON.parse recurses and a deep enough document overflows the stack.
 */
import {type ErrorCode, InputError} from '../errors.js'

/** Real documents nest about 8 levels deep; anything much deeper is hostile. */
export const MAX_JSON_DEPTH = 64

export interface BoundedJsonOptions {
  /** Error code for malformed, empty or too deep input. */
  code: ErrorCode
  /** Largest accepted size in UTF-8 bytes. */
  maxBytes: number
  /** Error code when the text is too large (default: `code`). */
  tooLargeCode?: ErrorCode
  maxDepth?: number
}

/** Throws InputError(code) when `text` nests arrays/objects deeper than `maxDepth`. */
export function checkJsonDepth(text: string, what: string, code: ErrorCode, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new InputError(code, `${what} nests deeper than ${maxDepth} levels`)
    } else if (c === 0x7d || c === 0x5d) depth--
  }
}

export function parseBoundedJson(text: Buffer | string, what: string, opts: BoundedJsonOptions): unknown {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length
  if (size > opts.maxBytes) throw new InputError(opts.tooLargeCode ?? opts.code, `${what} exceeds ${opts.maxBytes} bytes`)
  const s = typeof text === 'string' ? text : text.toString('utf8')
  if (s.trim() === '') throw new InputError(opts.code, `${what} is empty`)
  checkJsonDepth(s, what, opts.code, opts.maxDepth)
  try {
    return JSON.parse(s)
  } catch (err) {
    throw new InputError(opts.code, `${what} is not valid JSON: ${(err as Error).message}`, undefined, {cause: err})
  }
}
