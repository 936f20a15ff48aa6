// Writers for the weight-scan fixture scripts (testdata/make-weight-fixtures.mjs,
// testdata/make-bypass-fixtures.mjs): deterministic gaussian "trained-like" weights, raw pickle
// opcode helpers, a zip writer laid out like torch.save (STORED, 64-byte aligned data), .npy,
// safetensors and GGUF writers. Byte-for-byte deterministic: the tests compare outputs.
import {deflateRawSync} from 'node:zlib'

// ---------- deterministic "trained-like" weights ----------
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
export function gaussian(n, seed, scale = 0.02) {
  const r = rng(seed)
  const f = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12)
    const v = r()
    const m = Math.sqrt(-2 * Math.log(u)) * scale
    f[i] = m * Math.cos(2 * Math.PI * v)
    if (i + 1 < n) f[i + 1] = m * Math.sin(2 * Math.PI * v)
  }
  return f
}
export const bytesOf = (ta) => new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength)
export function toF16Bits(x) {
  const f = new Float32Array([x])
  const u = new Uint32Array(f.buffer)[0]
  const s = (u >>> 16) & 0x8000
  const e = ((u >>> 23) & 0xff) - 127 + 15
  const m = (u >>> 13) & 0x3ff
  if (e <= 0) return s
  if (e >= 31) return s | 0x7c00
  return s | (e << 10) | m
}

/** Writes payload bytes into the k low bytes of each float32 element, from element `at`. */
export function hideLow(f32, payload, k, at = 0) {
  const b = bytesOf(f32)
  let p = 0
  for (let e = at; p < payload.length && e < f32.length; e++) for (let j = 0; j < k && p < payload.length; j++) b[e * 4 + j] = payload[p++]
  return f32
}

// ---------- safetensors ----------
export function safetensors(tensors, {metadata, rawHeader, lengthOverride, trailing, pad = true} = {}) {
  let header = rawHeader
  let data = []
  if (!header) {
    const h = {}
    if (metadata !== undefined) h.__metadata__ = metadata
    let off = 0
    for (const t of tensors) {
      const n = t.bytes.length
      h[t.name] = {dtype: t.dtype, shape: t.shape, data_offsets: t.offsets ?? [off, off + n]}
      off += n
      data.push(t.bytes)
    }
    header = JSON.stringify(h)
  } else data = tensors.map((t) => t.bytes)
  let hb = new TextEncoder().encode(header)
  if (pad && hb.length % 8) hb = new Uint8Array([...hb, ...new Array(8 - (hb.length % 8)).fill(0x20)])
  const len = new Uint8Array(8)
  new DataView(len.buffer).setBigUint64(0, BigInt(lengthOverride ?? hb.length), true)
  return Buffer.concat([len, hb, ...data, ...(trailing ? [trailing] : [])])
}

export const enc = (s) => new TextEncoder().encode(s)
export const cat = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))))
export const u32le = (n) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
export const binunicode = (s) => cat('X', u32le(enc(s).length), enc(s))
export const shortUni = (s) => cat([0x8c, enc(s).length], enc(s))
export const binint = (n) => (n < 256 ? cat('K', [n]) : cat('J', u32le(n)))

// ---------- zip writer (STORED members, 64-byte aligned data like torch.save) ----------
let crcT
export function crc32(b) {
  if (!crcT) {
    crcT = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcT[n] = c >>> 0
    }
  }
  let c = 0xffffffff
  for (const x of b) c = crcT[(c ^ x) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
export function zip(members, {badCrc, localName, deflate} = {}) {
  const chunks = []
  const central = []
  let off = 0
  for (const m of members) {
    const name = enc(m.name)
    const lname = enc(localName?.[m.name] ?? m.name)
    const data = deflate?.includes(m.name) ? deflateRawSync(m.data) : Buffer.from(m.data)
    const method = deflate?.includes(m.name) ? 8 : 0
    const pad = (64 - ((off + 30 + lname.length + 4) % 64)) % 64
    const extra = Buffer.alloc(4 + pad)
    extra.writeUInt16LE(0x4746, 0)
    extra.writeUInt16LE(pad, 2)
    const crc = (badCrc?.includes(m.name) ? crc32(m.data) ^ 1 : crc32(m.data)) >>> 0
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    lh.writeUInt16LE(20, 4)
    lh.writeUInt16LE(method, 8)
    lh.writeUInt32LE(crc, 14)
    lh.writeUInt32LE(data.length, 18)
    lh.writeUInt32LE(m.data.length, 22)
    lh.writeUInt16LE(lname.length, 26)
    lh.writeUInt16LE(extra.length, 28)
    chunks.push(lh, lname, extra, data)
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE(20, 4)
    ch.writeUInt16LE(20, 6)
    ch.writeUInt16LE(method, 10)
    ch.writeUInt32LE(crc, 16)
    ch.writeUInt32LE(data.length, 20)
    ch.writeUInt32LE(m.data.length, 24)
    ch.writeUInt16LE(name.length, 28)
    ch.writeUInt32LE(off, 42)
    central.push(ch, name)
    off += 30 + lname.length + extra.length + data.length
  }
  const cd = Buffer.concat(central)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(members.length, 8)
  eocd.writeUInt16LE(members.length, 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(off, 16)
  return Buffer.concat([...chunks, cd, eocd])
}

export function npy(descr, shape, data) {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const total = 10 + h.length + 1
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const hb = Buffer.alloc(10)
  hb.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  hb.writeUInt16LE(h.length, 8)
  return Buffer.concat([hb, Buffer.from(h, 'latin1'), Buffer.from(data)])
}

export function gguf(kvs, tensors, {version = 3, counts} = {}) {
  const parts = []
  const u32 = (n) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    return b
  }
  const u64 = (n) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    return b
  }
  const str = (s) => cat(u64(enc(s).length), enc(s))
  parts.push(Buffer.from('GGUF'), u32(version), u64(counts?.[0] ?? tensors.length), u64(counts?.[1] ?? kvs.length))
  for (const [k, type, v] of kvs) parts.push(str(k), u32(type), type === 8 ? str(v) : u32(v))
  let off = 0
  for (const t of tensors) {
    parts.push(str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(off))
    off += Math.ceil(t.data.length / 32) * 32
  }
  let head = Buffer.concat(parts)
  head = Buffer.concat([head, Buffer.alloc((32 - (head.length % 32)) % 32)])
  const data = tensors.map((t) => Buffer.concat([Buffer.from(t.data), Buffer.alloc((32 - (t.data.length % 32)) % 32)]))
  return Buffer.concat([head, ...data])
}
