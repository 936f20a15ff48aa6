#!/usr/bin/env node
// Makes the dataset fixtures and test vectors (run from the repo root or anywhere):
//   node testdata/dataset/make-fixtures.mjs
// - tree/                    a small dataset directory
// - tree.tar, tree.tar.gz    the same files as archives ('./'-prefixed names, like `tar -C tree .`)
// - tree-shards/*.tar        the same files split across three tar shards (WebDataset style)
// - hostile/*.tar            archives that must be refused (traversal, absolute, links, device, ...)
// - vectors.json             expected roots, computed here by an independent, from-the-spec
//                            implementation of dataset-manifest/v1 (not by modelseal's code)
import {createHash} from 'node:crypto'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

import tar from 'tar-stream'

const here = path.dirname(fileURLToPath(import.meta.url))

/** The tree: path → content. Includes a non-ASCII name and an empty file. */
export const TREE = {
  'README.md': '# tiny dataset\n',
  'images/a.txt': 'hello\n',
  'images/b.txt': 'world\n',
  'images/sub/deep.bin': Buffer.from([0, 1, 2, 3, 255]),
  'labels/train.csv': 'cat,1\n',
  'labels/empty.csv': '',
  'labels/été.txt': 'summer\n',
  'a-b.txt': 'dash sorts before slash\n',
}

export async function tarBuffer(entries, {dotSlash = false} = {}) {
  const pack = tar.pack()
  const chunks = []
  pack.on('data', (c) => chunks.push(c))
  const done = new Promise((res, rej) => {
    pack.on('end', res)
    pack.on('error', rej)
  })
  for (const e of entries) {
    const header = {mtime: new Date(0), uid: 0, gid: 0, mode: 0o644, ...e.header}
    if (dotSlash) header.name = `./${header.name}`
    await new Promise((res, rej) => pack.entry(header, e.body ?? '', (err) => (err ? rej(err) : res())))
  }
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

const files = (tree) => Object.entries(tree).map(([name, body]) => ({header: {name, type: 'file'}, body: Buffer.from(body)}))

/** Archives that must be refused, each with the reason the test expects. */
export const HOSTILE = {
  'traversal.tar': [{header: {name: '../escape.txt'}, body: 'x'}],
  'absolute.tar': [{header: {name: '/etc/passwd'}, body: 'x'}],
  'nested-traversal.tar': [{header: {name: 'ok/../../escape.txt'}, body: 'x'}],
  'symlink.tar': [{header: {name: 'a.txt'}, body: 'a'}, {header: {name: 'link', type: 'symlink', linkname: '/etc/passwd'}}],
  'hardlink.tar': [{header: {name: 'a.txt'}, body: 'a'}, {header: {name: 'hard', type: 'link', linkname: 'a.txt'}}],
  'device.tar': [{header: {name: 'dev', type: 'character-device', devmajor: 1, devminor: 3}}],
  'fifo.tar': [{header: {name: 'pipe', type: 'fifo'}}],
  'duplicate.tar': [
    {header: {name: 'a.txt'}, body: 'one'},
    {header: {name: 'a.txt'}, body: 'two'},
  ],
  'backslash.tar': [{header: {name: 'dir\\file.txt'}, body: 'x'}],
}

// --- independent reference implementation of the manifest root (docs/dataset-manifest.md) ---
const sha256 = (...parts) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}
function leaf(p, size, digest) {
  const pb = Buffer.from(p, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(pb.length)
  const sz = Buffer.alloc(8)
  sz.writeBigUInt64BE(BigInt(size))
  return sha256(Buffer.from([0]), Buffer.from('dsm1'), len, pb, sz, digest)
}
function mth(leaves) {
  if (leaves.length === 0) return sha256(Buffer.alloc(0))
  if (leaves.length === 1) return leaves[0]
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return sha256(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}
export function referenceRoot(tree) {
  const items = Object.entries(tree)
    .map(([p, body]) => [p, Buffer.from(body)])
    .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))
  const root = mth(items.map(([p, b]) => leaf(p, b.length, sha256(b))))
  const dirHash1 = sha256(items.map(([p, b]) => `${sha256(b).toString('hex')}  ${p}\n`).join('')).toString('hex')
  return {root: root.toString('hex'), dirHash1, files: items.length, bytes: items.reduce((a, [, b]) => a + b.length, 0)}
}

export const VECTORS = [
  {name: 'design-note example', tree: {'images/a.txt': 'hello\n', 'images/b.txt': 'world\n', 'labels/train.csv': 'cat,1\n'}},
  {name: 'empty dataset', tree: {}},
  {name: 'single empty file', tree: {x: ''}},
  {name: 'rename changes the root', tree: {'images/a.txt': 'hello\n', 'images/c.txt': 'world\n', 'labels/train.csv': 'cat,1\n'}},
  {name: 'swap changes the root', tree: {'images/a.txt': 'world\n', 'images/b.txt': 'hello\n', 'labels/train.csv': 'cat,1\n'}},
  {name: 'byte order (dash before slash, non-ASCII, astral, U+E000)', tree: {'a/b': '1', 'a-b': '2', é: '3', '\u{1F600}': '4', '\uE000': '5'}},
  {name: 'fixture tree', tree: TREE},
]

async function main() {
  rmSync(path.join(here, 'tree'), {recursive: true, force: true})
  for (const [p, body] of Object.entries(TREE)) {
    mkdirSync(path.dirname(path.join(here, 'tree', p)), {recursive: true})
    writeFileSync(path.join(here, 'tree', p), body)
  }
  const tarBody = await tarBuffer(files(TREE), {dotSlash: true})
  writeFileSync(path.join(here, 'tree.tar'), tarBody)
  writeFileSync(path.join(here, 'tree.tar.gz'), gzipSync(tarBody))
  rmSync(path.join(here, 'tree-shards'), {recursive: true, force: true})
  mkdirSync(path.join(here, 'tree-shards'))
  const names = Object.keys(TREE)
  for (let i = 0; i < 3; i++) {
    const part = Object.fromEntries(names.filter((_, k) => k % 3 === i).map((n) => [n, TREE[n]]))
    const body = await tarBuffer(files(part))
    writeFileSync(path.join(here, 'tree-shards', `shard-${i}.tar${i === 2 ? '.gz' : ''}`), i === 2 ? gzipSync(body) : body)
  }
  rmSync(path.join(here, 'hostile'), {recursive: true, force: true})
  mkdirSync(path.join(here, 'hostile'))
  for (const [name, entries] of Object.entries(HOSTILE)) {
    writeFileSync(path.join(here, 'hostile', name), await tarBuffer(entries.map((e) => ({header: {type: 'file', ...e.header}, body: e.body}))))
  }
  // A ustar name with a byte that is not UTF-8 (0xff), checksum recomputed.
  const bad = Buffer.from(await tarBuffer([{header: {name: 'badX.txt', type: 'file'}, body: Buffer.from('x')}]))
  bad[3] = 0xff
  bad.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < 512; i++) sum += bad[i]
  bad.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  writeFileSync(path.join(here, 'hostile', 'non-utf8.tar'), bad)
  // Cut inside a member, and cut at a member boundary (no end-of-archive blocks).
  writeFileSync(path.join(here, 'hostile', 'truncated-body.tar'), tarBody.subarray(0, 512 + 100))
  writeFileSync(path.join(here, 'hostile', 'truncated-boundary.tar'), tarBody.subarray(0, 1024))
  writeFileSync(path.join(here, 'hostile', 'truncated.tar.gz'), gzipSync(tarBody).subarray(0, 60))
  const vectors = VECTORS.map((v) => ({
    name: v.name,
    files: Object.fromEntries(Object.entries(v.tree).map(([p, b]) => [p, Buffer.from(b).toString('base64')])),
    expected: referenceRoot(v.tree),
  }))
  writeFileSync(
    path.join(here, 'vectors.json'),
    `${JSON.stringify({format: 'dataset-manifest/v1', note: 'file contents are base64; expected values from make-fixtures.mjs (independent implementation)', vectors}, null, 2)}\n`,
  )
  console.log(`fixtures written to ${here}`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
