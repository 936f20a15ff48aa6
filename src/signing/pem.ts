/**
 * PEM block extraction. Key and certificate files in the wild (GnuTLS `certtool` output, the
 * OMS test vectors) carry human-readable text before `-----BEGIN`, so we locate the blocks
 * instead of expecting the file to start with one.
 */
import {InputError} from '../errors.js'
import {readBoundedFile} from '../io/index.js'

/** Key and certificate files are small; anything larger is not what the user meant. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024
/** A certificate-chain file with more blocks than this is refused (bounds parsing work). */
export const MAX_PEM_BLOCKS = 64

export interface PemBlock {
  label: string
  /** The block exactly as written, BEGIN to END line (header lines such as DEK-Info included). */
  text: string
  /** Decoded body for blocks without RFC 1421 headers; undefined for legacy-encrypted blocks. */
  der?: Buffer
}

// Markers only; pairing is done in one linear pass (a lazy BEGIN…END regex is quadratic on
// files full of unterminated BEGIN lines).
const MARKER_RE = /-----(BEGIN|END) ([A-Z0-9 ]{1,64})-----/g

export function readPemFile(path: string, what: string): Buffer {
  return readBoundedFile(path, {maxBytes: MAX_PEM_FILE_BYTES, what, code: 'E_IO', tooLargeCode: 'E_FILE_TOO_LARGE', followSymlinks: true})
}

/** Every PEM block in `data`, in file order; text outside blocks is ignored. */
export function pemBlocks(data: Buffer | string): PemBlock[] {
  const text = typeof data === 'string' ? data : data.toString('latin1')
  const out: PemBlock[] = []
  let open: {label: string; bodyStart: number} | undefined
  MARKER_RE.lastIndex = 0
  for (let m = MARKER_RE.exec(text); m !== null; m = MARKER_RE.exec(text)) {
    if (m[1] === 'BEGIN') {
      open = {label: m[2], bodyStart: m.index + m[0].length}
      continue
    }
    if (!open || open.label !== m[2]) continue
    if (out.length >= MAX_PEM_BLOCKS) throw new InputError('E_PEM_MALFORMED', `more than ${MAX_PEM_BLOCKS} PEM blocks`)
    const body = text.slice(open.bodyStart, m.index).replace(/\r\n/g, '\n').replace(/^\n/, '')
    const label = open.label
    open = undefined
    const hasHeaders = /^[A-Za-z-]+:/m.test(body)
    let der: Buffer | undefined
    if (!hasHeaders) {
      const b64 = body.replace(/\s+/g, '')
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new InputError('E_PEM_MALFORMED', `invalid base64 in PEM block ${label}`)
      der = Buffer.from(b64, 'base64')
    }
    out.push({label, text: `-----BEGIN ${label}-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`, der})
  }
  return out
}

/** Wraps DER as PEM with 64-column lines and a trailing newline (the form OMS hints hash). */
export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
