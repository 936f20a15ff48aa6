/**
 * Just enough DER to read the X.509 extensions node:crypto does not expose (KeyUsage bits).
 * node's X509Certificate has already parsed the certificate, so inputs here are well-formed
 * DER in practice; every read is still bounds-checked and depth-limited.
 */
import {InputError} from '../errors.js'

interface Tlv {
  tag: number
  start: number
  end: number
}

function readTlv(buf: Buffer, off: number, limit: number): Tlv {
  if (off + 2 > limit) throw bad()
  const tag = buf[off]
  let len = buf[off + 1]
  let p = off + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4 || p + n > limit) throw bad()
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]
    p += n
  }
  if (p + len > limit) throw bad()
  return {tag, start: p, end: p + len}
}

function children(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let p = t.start; p < t.end; ) {
    const c = readTlv(buf, p, t.end)
    out.push(c)
    p = c.end
    if (out.length > 4096) throw bad()
  }
  return out
}

function bad() {
  return new InputError('E_CERT_MALFORMED', 'certificate DER is malformed')
}

function oidToString(buf: Buffer, t: Tlv): string {
  const b = buf.subarray(t.start, t.end)
  if (b.length === 0) throw bad()
  const parts = [Math.floor(b[0] / 40), b[0] % 40]
  let v = 0
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f)
    if (!(b[i] & 0x80)) {
      parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

/** Extension OID → raw extnValue (contents of the OCTET STRING). */
export function certificateExtensions(der: Buffer): Map<string, Buffer> {
  const cert = readTlv(der, 0, der.length)
  const tbs = children(der, cert)[0]
  if (tbs?.tag !== 0x30) throw bad()
  const out = new Map<string, Buffer>()
  const extsWrapper = children(der, tbs).find((c) => c.tag === 0xa3)
  if (!extsWrapper) return out
  const seq = children(der, extsWrapper)[0]
  if (seq?.tag !== 0x30) throw bad()
  for (const ext of children(der, seq)) {
    const parts = children(der, ext)
    if (parts.length < 2 || parts[0].tag !== 0x06) throw bad()
    const value = parts[parts.length - 1]
    if (value.tag !== 0x04) throw bad()
    out.set(oidToString(der, parts[0]), der.subarray(value.start, value.end))
  }
  return out
}

export const OID_KEY_USAGE = '2.5.29.15'

/** KeyUsage bits as named flags, or undefined when the extension is absent. */
export function keyUsage(der: Buffer): {digitalSignature: boolean; keyCertSign: boolean} | undefined {
  const v = certificateExtensions(der).get(OID_KEY_USAGE)
  if (!v) return undefined
  const bits = readTlv(v, 0, v.length)
  if (bits.tag !== 0x03 || bits.end - bits.start < 1) throw bad()
  const b0 = bits.end - bits.start > 1 ? v[bits.start + 1] : 0
  return {digitalSignature: (b0 & 0x80) !== 0, keyCertSign: (b0 & 0x04) !== 0}
}
