// A raw tar writer for hostile and randomised fixtures: every header byte can be set by hand
// (sizes with leading NULs, underscores, prefix fields under GNU magic, pax records with wrong
// lengths...), which no real tar writer allows. Used by make-tar-bypasses.mjs and the
// differential tar test.

export const BLOCK = 512

/** Octal field of `width` bytes: zero-padded digits and a trailing NUL (what GNU tar writes). */
export function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

function put(block, at, width, value) {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1')
  if (b.length > width) throw new Error(`field at ${at} too long (${b.length} > ${width})`)
  b.copy(block, at)
}

export function checksum(block) {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]
  return sum
}

/**
 * One header block. Fields: name, type ('0', '5', 'x', 'L', ...), size, mode, mtime, magic
 * ('ustar' = POSIX "ustar\0" "00", 'gnu' = "ustar  \0", 'v7' = none), prefix, linkname.
 * `raw` overrides whole fields: {size: Buffer|string, mode: ..., ...} written as given;
 * `patch` is a list of [offset, bytes] applied before the checksum; `chksum` overrides it.
 */
export function header(f) {
  const b = Buffer.alloc(BLOCK)
  const raw = f.raw ?? {}
  const field = (name, at, width, fallback) => put(b, at, width, raw[name] ?? fallback)
  field('name', 0, 100, Buffer.from(f.name ?? '', 'utf8'))
  field('mode', 100, 8, octal(f.mode ?? (f.type === '5' ? 0o755 : 0o644), 8))
  field('uid', 108, 8, octal(f.uid ?? 1000, 8))
  field('gid', 116, 8, octal(f.gid ?? 1000, 8))
  field('size', 124, 12, octal(f.size ?? 0, 12))
  field('mtime', 136, 12, octal(f.mtime ?? 1700000000, 12))
  field('type', 156, 1, f.type ?? '0')
  field('linkname', 157, 100, Buffer.isBuffer(f.linkname) ? f.linkname : Buffer.from(f.linkname ?? '', 'utf8'))
  const magic = f.magic ?? 'ustar'
  if (magic === 'ustar') put(b, 257, 8, 'ustar\x0000')
  else if (magic === 'gnu') put(b, 257, 8, 'ustar  \x00')
  field('uname', 265, 32, 'user')
  field('gname', 297, 32, 'user')
  if (magic !== 'v7') {
    field('devmajor', 329, 8, octal(0, 8))
    field('devminor', 337, 8, octal(0, 8))
  }
  if (f.prefix !== undefined) put(b, 345, 155, Buffer.from(f.prefix, 'utf8'))
  for (const [at, bytes] of f.patch ?? []) put(b, at, bytes.length, bytes)
  put(b, 148, 8, f.chksum ?? `${checksum(b).toString(8).padStart(6, '0')}\0 `)
  return b
}

/** Body padded to whole blocks. */
export function body(data) {
  const d = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')
  const out = Buffer.alloc(Math.ceil(d.length / BLOCK) * BLOCK)
  d.copy(out)
  return out
}

/** A pax record with its correct length prefix. */
export function paxRecord(key, value) {
  const kv = ` ${key}=${value}\n`
  let len = Buffer.byteLength(kv) + 1
  while (String(len).length + Buffer.byteLength(kv) !== len) len = String(len).length + Buffer.byteLength(kv)
  return `${len}${kv}`
}

/** Header + padded body of a regular file. */
export function file(name, data, extra = {}) {
  const d = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')
  return Buffer.concat([header({name, size: d.length, ...extra}), body(d)])
}

/** A pax extended header ('x', or 'g' for global) carrying `records` (strings or [key, value]). */
export function pax(records, extra = {}) {
  const text = records.map((r) => (Array.isArray(r) ? paxRecord(r[0], r[1]) : r)).join('')
  const d = Buffer.from(text, 'utf8')
  return Buffer.concat([header({name: 'PaxHeaders/x', type: 'x', size: d.length, ...extra}), body(d)])
}

/** A GNU long-name ('L') or long-link ('K') header with its body. */
export function longName(name, type = 'L', extra = {}) {
  const d = Buffer.concat([Buffer.from(name, 'utf8'), Buffer.alloc(1)])
  return Buffer.concat([header({name: '././@LongLink', type, size: d.length, magic: 'gnu', ...extra}), body(d)])
}

export const END = Buffer.alloc(2 * BLOCK)

/** Parts joined, with the two end-of-archive blocks and padding to a 10240-byte record. */
export function archive(parts, {end = true, record = true} = {}) {
  let b = Buffer.concat([...parts, ...(end ? [END] : [])])
  if (record && b.length % 10240 !== 0) b = Buffer.concat([b, Buffer.alloc(10240 - (b.length % 10240))])
  return b
}
