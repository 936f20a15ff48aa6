#!/usr/bin/env node
// Builds the tar constructions that made a lenient reader (tar-stream) report "verified" while
// GNU tar or Python's tarfile extract other bytes. Each one comes with the files it pretends to
// hold ("signed"): a manifest made from those files must never verify the archive.
//
//   node testdata/dataset/make-tar-bypasses.mjs [OUTDIR]   writes OUTDIR/<id>.tar (+ signed/<id>/)
//
// The regression test (test/dataset/tar-bypass.test.ts) imports bypasses() and builds them in a
// temporary directory.
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

import {archive, body, BLOCK, file, header, longName, pax, paxRecord} from '../lib/tar-writer.mjs'

const A = 'images/a.txt'
const L = 'labels.csv'
const SIGNED = {[A]: 'hello\n', [L]: 'cat,1\n'}

/** @returns {{id: string, what: string, signed: Record<string, string>, tar: Buffer, gzip?: boolean, allowLinks?: boolean}[]} */
export function bypasses() {
  const out = []
  const add = (id, what, parts, extra = {}) => out.push({id, what, signed: extra.signed ?? SIGNED, tar: extra.raw ?? archive(parts), ...extra})

  // 1. A global header whose size starts with NULs: tar-stream skips them all and reads 1024,
  //    swallowing a whole member; GNU tar and Python read 0 and extract that member over the
  //    signed one.
  const evil = file(L, 'evil,1\n')
  const gNul = Buffer.concat([header({name: 'pax_global_header', type: 'g', raw: {size: '\0\0' + '0000002000'}}), evil])
  add('1-global-nul-size', 'pax g header, size "\\0\\0" + "0000002000" swallows a replacement member', [file(A, SIGNED[A]), file(L, SIGNED[L]), gNul])
  add('1-global-nul-size-gz', 'the same inside .tar.gz', [], {raw: gzipSync(archive([file(A, SIGNED[A]), file(L, SIGNED[L]), gNul])), gzip: true})
  // The same leading-NUL size on an ordinary member.
  add(
    '1-member-nul-size',
    'regular member whose size field starts with a NUL',
    [file(A, SIGNED[A]), header({name: 'pad.bin', raw: {size: '\0' + '0000000002000'.slice(2)}}), evil, file(L, SIGNED[L])],
    {
      signed: {...SIGNED, 'pad.bin': ''},
    },
  )

  // 2. GNU sparse members described in pax (formats 0.0 and 0.1): extractors expand the map,
  //    a lenient reader hashes the stored bytes.
  add('2-sparse-0.0', 'pax GNU.sparse.size/numblocks/offset/numbytes (sparse 0.0)', [
    file(A, SIGNED[A]),
    pax([
      ['GNU.sparse.size', '12'],
      ['GNU.sparse.numblocks', '1'],
      ['GNU.sparse.offset', '6'],
      ['GNU.sparse.numbytes', '6'],
    ]),
    file(L, SIGNED[L]),
  ])
  add('2-sparse-0.1', 'pax GNU.sparse.size + GNU.sparse.map (sparse 0.1)', [
    file(A, SIGNED[A]),
    pax([
      ['GNU.sparse.size', '12'],
      ['GNU.sparse.map', '6,6'],
    ]),
    file(L, SIGNED[L]),
  ])

  // 3. GNU.sparse.name renames the member for the extractors only: the two files swap names.
  add('3-sparse-name', 'pax GNU.sparse.name swaps two names', [
    pax([['GNU.sparse.name', L]]),
    file(A, SIGNED[A]),
    pax([['GNU.sparse.name', A]]),
    file(L, SIGNED[L]),
  ])

  // 4. A malformed pax record length ("NNx"): honoured by tar-stream, ignored by GNU and Python.
  const badLen = (p) => {
    const rec = paxRecord('path', p)
    return rec.replace(/^(\d+) /, '$1x ')
  }
  add('4-pax-bad-length', 'pax record "NNx path=..." swaps two names', [pax([badLen(A)]), file(L, SIGNED[A]), pax([badLen(L)]), file(A, SIGNED[L])])

  // 5. Python-only differentials.
  add(
    '5-underscore-size',
    'size field "0000_0002000": Python reads 1024, others 0',
    [file(A, SIGNED[A]), header({name: 'x.bin', raw: {size: '0000_0002000'}}), file(L, SIGNED[L])],
    {
      signed: {...SIGNED, 'x.bin': ''},
    },
  )
  add('5-longname-then-pax', 'GNU long name and a pax path on one member', [
    longName(L),
    pax([['path', A]]),
    file('x', SIGNED[A]),
    longName(A),
    pax([['path', L]]),
    file('y', SIGNED[L]),
  ])
  add(
    '5-prefix-under-gnu-magic',
    'ustar prefix field under GNU magic (Python prepends it, GNU tar does not)',
    [file('a.txt', SIGNED[A], {magic: 'gnu', prefix: 'images'}), file(L, SIGNED[L])],
    {signed: {'a.txt': SIGNED[A], [L]: SIGNED[L]}},
  )

  // 6. Members after the end-of-archive marker; a directory member with a file's name.
  add('6-after-end-marker', 'a member after the two zero blocks', [], {
    raw: archive([file(A, SIGNED[A]), file(L, SIGNED[L]), Buffer.alloc(2 * BLOCK), file('extra.txt', 'never extracted\n')]),
    signed: {...SIGNED, 'extra.txt': 'never extracted\n'},
  })
  add('6-lone-zero-block', 'a member after a single zero block', [], {
    raw: archive([file(A, SIGNED[A]), Buffer.alloc(BLOCK), file(L, SIGNED[L])]),
  })
  add('6-directory-over-file', 'a directory member named like a signed file', [file(A, SIGNED[A]), file(L, SIGNED[L]), header({name: `${L}/`, type: '5'})])
  add('6-duplicate-file', 'a later member overwrites a signed file', [file(A, SIGNED[A]), file(L, SIGNED[L]), file(L, 'evil,1\n')])

  // 7. With --allow-links: a link named like a signed file, after it, replaces it on extraction.
  add(
    '7-symlink-shadows-file',
    'symlink member named like a signed file (--allow-links)',
    [file(A, SIGNED[A]), file(L, SIGNED[L]), header({name: L, type: '2', linkname: 'images/a.txt'})],
    {allowLinks: true},
  )
  add(
    '7-hardlink-shadows-file',
    'hard link member named like a signed file (--allow-links)',
    [file(A, SIGNED[A]), file(L, SIGNED[L]), header({name: L, type: '1', linkname: A})],
    {allowLinks: true},
  )
  add(
    '7-symlink-as-parent',
    'symlink used as the parent directory of a later member (--allow-links)',
    [header({name: 'images', type: '2', linkname: '.'}), file(A, SIGNED[A]), file(L, SIGNED[L])],
    {allowLinks: true},
  )
  return out
}

/** Whole-block helpers re-exported for tests that build their own variants. */
export {archive, body, file, header, pax}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), 'bypasses'))
  mkdirSync(outDir, {recursive: true})
  for (const b of bypasses()) {
    writeFileSync(path.join(outDir, `${b.id}.tar${b.gzip ? '.gz' : ''}`), b.tar)
    for (const [p, data] of Object.entries(b.signed)) {
      const abs = path.join(outDir, 'signed', b.id, ...p.split('/'))
      mkdirSync(path.dirname(abs), {recursive: true})
      writeFileSync(abs, data)
    }
  }
  console.log(`wrote ${bypasses().length} archives to ${outDir}`)
}
