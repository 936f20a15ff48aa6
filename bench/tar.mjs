#!/usr/bin/env node
/**
 * Tar reader benchmark (`npm run bench:tar`, after the build): why modelseal reads tars itself.
 *
 * Makes two archives once (BENCH_DIR, default $TMPDIR/modelseal-bench-tar):
 *   big.tar    one member of BENCH_TAR_MB MiB (default 1024) of random bytes — a large shard
 *   small.tar  20,000 members of 1..8 KiB — a webdataset-style shard
 * and, warm page cache, in the same run, reads each with:
 *   baseline:   `openssl dgst -sha256 FILE` (one SHA-256 over the same bytes, whole process)
 *   modelseal:  the strict reader (src/dataset/tar.ts), hashing every member with SHA-256
 *   tar-stream: extract() hashing every entry with SHA-256 (the lenient reader it replaced)
 * Prints MiB/s side by side (best of BENCH_RUNS, default 3).
 */
import {spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {fileURLToPath, pathToFileURL} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dir = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'modelseal-bench-tar')
const bigMb = Number(process.env.BENCH_TAR_MB ?? 1024)
const runs = Number(process.env.BENCH_RUNS ?? 3)
fs.mkdirSync(dir, {recursive: true})

function header(name, size) {
  const b = Buffer.alloc(512)
  b.write(name, 0, 'utf8')
  b.write('0000644\0', 100)
  b.write('0001750\0', 108)
  b.write('0001750\0', 116)
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124)
  b.write('14524770400\0', 136)
  b.write('0', 156)
  b.write('ustar\x0000', 257, 'latin1')
  b.write('        ', 148)
  let sum = 0
  for (const x of b) sum += x
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return b
}

function make(file, members) {
  if (fs.existsSync(file)) return
  const fd = fs.openSync(`${file}.tmp`, 'w')
  for (const [name, size] of members) {
    fs.writeSync(fd, header(name, size))
    let left = size
    while (left > 0) {
      const n = Math.min(left, 1 << 20)
      fs.writeSync(fd, randomBytes(n))
      left -= n
    }
    if (size % 512) fs.writeSync(fd, Buffer.alloc(512 - (size % 512)))
  }
  fs.writeSync(fd, Buffer.alloc(10240))
  fs.closeSync(fd)
  fs.renameSync(`${file}.tmp`, file)
}

const big = path.join(dir, `big-${bigMb}.tar`)
const small = path.join(dir, 'small.tar')
make(big, [['shard/weights.bin', bigMb << 20]])
make(
  small,
  Array.from({length: 20_000}, (_, i) => [`images/${String(i).padStart(6, '0')}.jpg`, 1024 + ((i * 7919) % 7168)]),
)

const {readTar} = await import(pathToFileURL(path.join(repo, 'dist', 'src', 'dataset', 'tar.js')).href)
const {ProblemList} = await import(pathToFileURL(path.join(repo, 'dist', 'src', 'dataset', 'problems.js')).href)
const tarStream = (await import('tar-stream')).default

async function modelseal(file) {
  let n = 0
  await readTar(file, {
    algorithm: 'sha256',
    problems: new ProblemList(),
    skipped: [],
    label: path.basename(file),
    followFinalLink: true,
    onMember: async () => void n++,
  })
  return n
}

async function viaTarStream(file) {
  const extract = tarStream.extract()
  let n = 0
  const done = pipeline(fs.createReadStream(file, {highWaterMark: 1 << 20}), extract)
  for await (const entry of extract) {
    const h = createHash('sha256')
    for await (const chunk of entry) h.update(chunk)
    h.digest()
    n++
  }
  await done
  return n
}

function openssl(file) {
  const r = spawnSync('openssl', ['dgst', '-sha256', file], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`)
}

async function best(fn) {
  let ms = Infinity
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    ms = Math.min(ms, performance.now() - t0)
  }
  return ms
}

console.log(`tar reader benchmark — best of ${runs}, warm cache, MiB/s of archive bytes (${os.cpus()[0]?.model ?? 'cpu'})`)
console.log('archive'.padEnd(30), 'openssl dgst'.padStart(14), 'modelseal'.padStart(12), 'tar-stream'.padStart(12))
for (const file of [big, small]) {
  const mib = fs.statSync(file).size / 2 ** 20
  await modelseal(file) // warm the page cache
  const base = await best(async () => openssl(file))
  const ours = await best(() => modelseal(file))
  const theirs = await best(() => viaTarStream(file))
  const rate = (ms) => `${((mib * 1000) / ms).toFixed(0)}`.padStart(12)
  console.log(`${path.basename(file)} (${mib.toFixed(0)} MiB)`.padEnd(30), rate(base).padStart(14), rate(ours), rate(theirs))
}
