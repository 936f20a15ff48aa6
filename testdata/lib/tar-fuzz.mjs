// Seeded generator of randomised tar archives for the differential test: members with names
// encoded every way tar allows (plain, ustar prefix, pax path, GNU long name, both), numbers
// written canonically or not (leading spaces or NULs, underscores, base-256, garbage after the
// digits), pax records from a list of real and hostile keys, duplicates, directories named like
// files, members after the end marker, random byte flips. It is not tuned to modelseal's reader:
// it draws from what tar headers can hold, and the test keeps whatever modelseal accepts.
import {gzipSync} from 'node:zlib'

import {BLOCK, body, checksum, header, longName, octal, paxRecord} from './tar-writer.mjs'

/** mulberry32: a small seeded PRNG (deterministic runs; the seed is printed on failure). */
export function rng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  }
}

const NAMES = [
  'a.txt',
  'b.bin',
  'labels.csv',
  'dir/x.txt',
  'dir/y.txt',
  'dir',
  'dir/sub/z',
  'caf\u00e9.txt',
  'cafe\u0301.txt',
  'sp ace.txt',
  `${'long'.repeat(30)}/file-${'n'.repeat(20)}.txt`,
  `${'p'.repeat(120)}.txt`,
]

/** A numeric field of `width` bytes for value n, written canonically or in one of the odd forms. */
function numberField(r, n, width, hostile) {
  if (!hostile || !r.chance(0.25)) return octal(n, width)
  const digits = n.toString(8)
  switch (r.int(9)) {
    case 0:
      return `${' '.repeat(Math.max(0, width - 1 - digits.length))}${digits}\0`
    case 1:
      return `\0${digits.padStart(width - 2, '0')}\0`.slice(0, width)
    case 2:
      return `\0\0${digits.padStart(width - 3, '0')}`.slice(0, width)
    case 3: {
      const s = digits.padStart(width - 1, '0')
      const k = 1 + r.int(width - 3)
      return `${s.slice(0, k)}_${s.slice(k + 1)}\0`
    }
    case 4: {
      const b = Buffer.alloc(width)
      b[0] = 0x80
      b.writeUIntBE(n, width - 6, 6)
      return b
    }
    case 5:
      return `${digits.padStart(width - 2, '0')} \0`.slice(-width)
    case 6:
      return `${digits.padStart(width - 3, '0')}\0x\0`.slice(-width)
    case 7:
      return digits.padStart(width, '0')
    default:
      return `+${digits.padStart(width - 2, '0')}\0`.slice(0, width)
  }
}

function memberParts(r, m, hostile) {
  const parts = []
  const data = Buffer.from(m.data ?? '', 'utf8')
  const isFile = m.type === '0' || m.type === '7'
  const size = isFile ? data.length : r.chance(0.05) ? 1 : 0
  const nameBytes = Buffer.from(m.name + (m.type === '5' && r.chance(0.6) ? '/' : ''), 'utf8')
  let magic = r.chance(0.5) ? 'ustar' : 'gnu'
  if (hostile && r.chance(0.03)) magic = 'v7'
  const pax = []
  let headerName = nameBytes
  let prefix
  const mix = hostile && r.chance(0.1)
  const how =
    nameBytes.length > 100
      ? r.pick(['pax', 'gnu', 'prefix', mix ? 'both' : 'pax'])
      : r.pick(['plain', 'plain', 'plain', 'pax', 'gnu', 'prefix', mix ? 'both' : 'plain'])
  if (how === 'pax' || how === 'both') {
    pax.push(['path', m.name + (m.type === '5' ? '/' : '')])
    headerName = nameBytes.subarray(0, Math.min(nameBytes.length, 100))
    if (r.chance(0.3)) headerName = Buffer.from('decoy.txt')
  }
  if (how === 'gnu' || how === 'both') {
    parts.push(longName(nameBytes.toString('utf8'), 'L', {magic: hostile && r.chance(0.2) ? 'ustar' : 'gnu'}))
    headerName = nameBytes.subarray(0, Math.min(nameBytes.length, 100))
    magic = 'gnu'
  }
  if (how === 'prefix') {
    const cut = nameBytes.lastIndexOf(0x2f, 155)
    if (cut > 0 && nameBytes.length - cut - 1 <= 100) {
      prefix = nameBytes.subarray(0, cut).toString('utf8')
      headerName = nameBytes.subarray(cut + 1)
      if (!(hostile && r.chance(0.3))) magic = 'ustar'
    } else headerName = nameBytes.subarray(0, 100)
  }
  if (hostile && r.chance(0.15)) pax.push(['size', String(r.chance(0.5) ? size : size + 512)])
  if ((how !== 'gnu' || mix) && r.chance(0.2))
    pax.push(['mtime', hostile && r.chance(0.3) ? r.pick(['1.7e9', '-1', ' 17', '1_7']) : r.pick(['1700000000', '1700000000.5'])])
  if (hostile && r.chance(0.15))
    pax.push(
      r.pick([
        ['GNU.sparse.name', 'a.txt'],
        ['GNU.sparse.size', '10'],
        ['GNU.sparse.map', '0,1'],
        ['hdrcharset', 'BINARY'],
        ['comment', 'hi'],
        ['SCHILY.xattr.user.x', '1'],
        ['linkpath', 'a.txt'],
        ['uid', '0x10'],
        ['size', '0012'],
      ]),
    )
  if (pax.length > 0) {
    let text = pax.map(([k, v]) => paxRecord(k, v)).join('')
    if (hostile && r.chance(0.1)) text = text.replace(/^(\d+) /, r.pick(['$1x ', '0$1 ', ' $1 ']))
    if (hostile && r.chance(0.05)) text += '\0'
    const d = Buffer.from(text, 'utf8')
    const type = hostile && r.chance(0.08) ? r.pick(['g', 'X']) : 'x'
    parts.push(Buffer.concat([header({name: 'PaxHeaders/m', type, size: d.length, magic: magic === 'v7' ? 'ustar' : magic}), body(d)]))
  }
  const raw = {}
  if (hostile) {
    raw.size = numberField(r, size, 12, hostile)
    if (r.chance(0.1)) raw.mtime = numberField(r, 1700000000, 12, hostile)
    if (r.chance(0.1)) raw.uid = numberField(r, 1000, 8, hostile)
    if (r.chance(0.05)) raw.devmajor = r.pick(['\0\0\0\0\0\0\0\0', '       \0', 'garbage\0'])
  }
  const h = header({
    name: headerName,
    type: m.type,
    size,
    magic,
    prefix,
    linkname: m.linkname === undefined ? undefined : Buffer.from(m.linkname).subarray(0, 100),
    raw,
  })
  if (hostile && r.chance(0.04)) {
    // Flip one byte somewhere in the header and fix the checksum (or not).
    h[r.int(BLOCK)] = r.int(256)
    if (r.chance(0.7)) h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  }
  if (hostile && r.chance(0.03)) h.write(`${(checksum(h) - 256).toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  parts.push(h)
  if (isFile) parts.push(body(data))
  else if (size > 0) parts.push(Buffer.alloc(BLOCK))
  return parts
}

/**
 * One archive: {tar: Buffer, gzip: boolean}. About a third are "clean" (what real writers make),
 * the rest draw hostile variations.
 */
export function randomTar(seed) {
  const r = rng(seed)
  const hostile = r.chance(0.6)
  const n = 1 + r.int(6)
  const parts = []
  // Hostile variations go to one member: the others stay well-formed, so a refusal says
  // something about that one member (and enough archives are accepted to compare).
  const target = r.int(n)
  for (let i = 0; i < n; i++) {
    const kind = r.next()
    let m
    if (kind < 0.75)
      m = {
        type: hostile && r.chance(0.05) ? '7' : '0',
        name: r.chance(0.5) ? `f${i}.txt` : r.pick(NAMES),
        data: r.chance(0.2) ? '' : `data-${seed}-${i}-${'x'.repeat(r.int(700))}\n`,
      }
    else if (kind < 0.9) m = {type: '5', name: r.pick(NAMES)}
    else if (kind < 0.95 && hostile) m = {type: r.pick(['1', '2']), name: r.pick(NAMES), linkname: r.pick(NAMES)}
    else if (hostile) m = {type: r.pick(['3', '4', '6', 'S', 'V', 'D', 'Z']), name: r.pick(NAMES)}
    else m = {type: '0', name: `f${i}.txt`, data: 'plain\n'}
    parts.push(...memberParts(r, m, hostile && i === target))
  }
  const end = hostile ? r.int(8) : 0
  if (end === 1) parts.push(Buffer.alloc(BLOCK))
  else if (end !== 2) parts.push(Buffer.alloc(2 * BLOCK))
  if (end === 3) parts.push(...memberParts(r, {type: '0', name: 'after-end.txt', data: 'hidden\n'}, false))
  if (end === 4) parts.push(Buffer.from('trailing garbage'))
  let tar = Buffer.concat(parts)
  if (end !== 4 && r.chance(0.5)) tar = Buffer.concat([tar, Buffer.alloc(10240 - (tar.length % 10240))])
  const gzip = r.chance(0.15)
  return {tar: gzip ? gzipSync(tar) : tar, gzip}
}
