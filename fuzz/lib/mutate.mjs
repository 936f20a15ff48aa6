// Mutators: byte-level (AFL-style havoc) for every target, plus a structure-aware JSON mutator for
// targets whose input is JSON. `r` is a builders.rng(); every choice goes through it, so a run is
// reproducible from its seed.

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x0a]
const INTERESTING_32 = [0, 1, 2, 8, 16, 64, 255, 256, 4096, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]
const INTERESTING_64 = [0n, 1n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, 1n << 53n, (1n << 53n) + 1n, 100000001n]

export const MAX_LEN_DEFAULT = 1 << 20

export function mutate(input, r, {dict = [], others = [], maxLen = MAX_LEN_DEFAULT, kind = 'binary'} = {}) {
  let out = input
  if (kind === 'json' && r.next() < 0.5) {
    const j = mutateJson(out, r, dict)
    if (j) out = j
    if (r.next() < 0.7) return clamp(out, maxLen)
  }
  const rounds = 1 + r.int(r.next() < 0.5 ? 2 : 6)
  for (let i = 0; i < rounds; i++) out = havoc(out, r, dict, others)
  return clamp(out, maxLen)
}

function clamp(b, maxLen) {
  return b.length > maxLen ? b.subarray(0, maxLen) : b
}

function havoc(buf, r, dict, others) {
  const b = Buffer.from(buf) // copy: parents stay intact
  const n = b.length
  const pos = () => r.int(Math.max(n, 1))
  switch (r.int(14)) {
    case 0: // bit flip
      if (n) b[pos()] ^= 1 << r.int(8)
      return b
    case 1: // interesting byte
      if (n) b[pos()] = r.pick(INTERESTING_8)
      return b
    case 2: // random byte
      if (n) b[pos()] = r.int(256)
      return b
    case 3: {
      // interesting 32-bit, either endianness
      if (n < 4) return b
      const p = r.int(n - 3)
      const v = r.pick(INTERESTING_32)
      if (r.next() < 0.7) b.writeUInt32LE(v >>> 0, p)
      else b.writeUInt32BE(v >>> 0, p)
      return b
    }
    case 4: {
      // interesting 64-bit LE (safetensors/GGUF lengths, counts, offsets)
      if (n < 8) return b
      b.writeBigUInt64LE(r.pick(INTERESTING_64), r.int(n - 7))
      return b
    }
    case 5: {
      // small arithmetic on a byte
      if (n) {
        const p = pos()
        b[p] = (b[p] + (r.int(35) - 17)) & 0xff
      }
      return b
    }
    case 6: {
      // delete a chunk
      if (n < 2) return b
      const p = pos()
      const len = 1 + r.int(Math.min(n - p, 1 + r.int(64)))
      return Buffer.concat([b.subarray(0, p), b.subarray(p + len)])
    }
    case 7: {
      // insert random bytes
      const p = r.int(n + 1)
      return Buffer.concat([b.subarray(0, p), r.bytes(1 + r.int(16)), b.subarray(p)])
    }
    case 8: {
      // duplicate a chunk somewhere else
      if (!n) return b
      const p = pos()
      const len = 1 + r.int(Math.min(n - p, 128))
      const q = r.int(n + 1)
      return Buffer.concat([b.subarray(0, q), b.subarray(p, p + len), b.subarray(q)])
    }
    case 9: // truncate
      return b.subarray(0, r.int(n + 1))
    case 10: {
      // splice with another corpus entry
      if (!others.length) return b
      const o = r.pick(others)
      const p = r.int(n + 1)
      const q = r.int(o.length + 1)
      return Buffer.concat([b.subarray(0, p), o.subarray(q)])
    }
    case 11: {
      // dictionary token: insert or overwrite
      if (!dict.length) return b
      const t = Buffer.from(r.pick(dict), 'latin1')
      const p = r.int(n + 1)
      if (r.next() < 0.5) return Buffer.concat([b.subarray(0, p), t, b.subarray(p)])
      return Buffer.concat([b.subarray(0, p), t, b.subarray(Math.min(n, p + t.length))])
    }
    case 12: {
      // repeat a short chunk many times (nesting and count bombs)
      if (!n) return b
      const p = pos()
      const len = 1 + r.int(Math.min(n - p, 8))
      const times = 2 + r.int(r.next() < 0.2 ? 4000 : 64)
      const rep = Buffer.alloc(len * times)
      for (let i = 0; i < times; i++) b.copy(rep, i * len, p, p + len)
      return Buffer.concat([b.subarray(0, p), rep, b.subarray(p)])
    }
    default: {
      // overwrite a run with one byte value
      if (!n) return b
      const p = pos()
      b.fill(r.pick(INTERESTING_8), p, Math.min(n, p + 1 + r.int(32)))
      return b
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON: parse, change one node, print again (or a raw-text variant: duplicate keys, deep nesting).
const JSON_VALUES = [
  () => 0,
  () => -1,
  () => 1e308,
  () => 2 ** 53 + 1,
  () => 1.5,
  () => '',
  () => 'x'.repeat(70000),
  () => '../../../etc/passwd',
  () => '/etc/passwd',
  () => 'a\\b',
  () => 'a\u0000b',
  () => null,
  () => true,
  () => [],
  () => ({}),
  () => ['x'],
  () => 'sha256:' + '0'.repeat(64),
  () => 'AAAA',
  () => '%%%',
  () => 1e21,
]

export function mutateJson(buf, r, dict) {
  let doc
  try {
    doc = JSON.parse(buf.toString('utf8'))
  } catch {
    return undefined
  }
  // Base64 fields (DSSE payloads) hide nested JSON: sometimes descend into them.
  const slots = []
  collect(doc, [], slots, 0)
  if (!slots.length) return undefined
  const [parent, k] = r.pick(slots)
  const choice = r.int(8)
  if (choice === 0 && parent && typeof parent === 'object' && !Array.isArray(parent)) delete parent[k]
  else if (choice === 1 && typeof parent[k] === 'string' && /^[A-Za-z0-9+/=]{8,}$/.test(parent[k])) {
    const inner = Buffer.from(parent[k], 'base64')
    const m = mutateJson(inner, r, dict) ?? havocOnce(inner, r)
    parent[k] = m.toString('base64')
  } else if (choice === 2 && dict.length) parent[k] = r.pick(dict)
  else if (choice === 3 && Array.isArray(parent[k]) && parent[k].length) parent[k].push(structuredClone(parent[k][0]))
  else if (choice === 4) parent[k] = nest(1 + r.int(r.next() < 0.1 ? 5000 : 40))
  else parent[k] = r.pick(JSON_VALUES)()
  let text = JSON.stringify(doc)
  if (r.next() < 0.1) {
    // duplicate the first key of some object: JSON.parse keeps the last, other parsers may not
    text = text.replace(/\{"([^"]+)":([^,}]+)/, (_m, a, v) => `{"${a}":${v},"${a}":${v}`)
  }
  return Buffer.from(text)
}

function collect(v, path, out, depth) {
  if (depth > 64 || out.length > 5000) return
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), collect(x, [...path, i], out, depth + 1)))
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push([v, k]), collect(v[k], [...path, k], out, depth + 1)
}

function nest(d) {
  let v = []
  for (let i = 0; i < d; i++) v = [v]
  return v
}

function havocOnce(b, r) {
  return havoc(b, r, [], [])
}
