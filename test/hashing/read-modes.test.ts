/**
 * The two ways of reading a large range (src/hashing/file.ts): read-ahead on the libuv pool and
 * in-thread reads. Both must give the digest of the bytes, on every edge size, alone and through
 * the worker engine (where hashMany picks the mode from the number of big tasks), and both must
 * fail closed when the file changes under them.
 */
import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {BATCH_MAX_BYTES, hashMany, isLongTask, LONG_MIN_BYTES} from '../../src/hashing/batch.js'
import {hashTask, READ_AHEAD_CHUNK_SIZE, READ_CHUNK_SIZE, SMALL_RANGE_SIZE} from '../../src/hashing/file.js'
import {serializeModel} from '../../src/oms/serialize.js'
import {shardName} from '../../src/oms/resource-name.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-readmodes-')
after(tmp.cleanup)
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const MODES = [true, false, undefined] as const

// One random buffer; every test file is a prefix of it.
const data = randomBytes(2 * READ_AHEAD_CHUNK_SIZE + 12345)
const SIZES = [
  0,
  1,
  SMALL_RANGE_SIZE - 1,
  SMALL_RANGE_SIZE,
  SMALL_RANGE_SIZE + 1,
  2 * READ_CHUNK_SIZE - 1,
  READ_AHEAD_CHUNK_SIZE - 1,
  READ_AHEAD_CHUNK_SIZE,
  READ_AHEAD_CHUNK_SIZE + 1,
  data.length,
]
const bigData = randomBytes(2 * BATCH_MAX_BYTES + 5)
function subdir(name: string): string {
  const d = path.join(tmp.dir, name)
  fs.mkdirSync(d)
  return d
}
function write(name: string, size: number): string {
  const p = path.join(tmp.dir, name)
  fs.writeFileSync(p, data.subarray(0, size))
  return p
}

test('read-ahead and in-thread reads give the digest of the bytes on every edge size, files and ranges', async () => {
  for (const size of SIZES) {
    const p = write(`edge-${size}`, size)
    for (const readAhead of MODES) {
      const whole = await hashTask({path: p, alg: 'sha256', expectedSize: size, readAhead})
      assert.equal(whole.digest.toString('hex'), sha(data.subarray(0, size)), `size ${size}, readAhead ${readAhead}`)
      assert.equal(whole.size, size)
      for (const [s, e] of [
        [1, size],
        [0, size - 1],
        [Math.floor(size / 3), size - Math.floor(size / 5)],
      ]) {
        if (s < 0 || e < s) continue
        const r = await hashTask({path: p, alg: 'sha256', start: s, end: e, readAhead})
        assert.equal(r.digest.toString('hex'), sha(data.subarray(s, e)), `size ${size} range ${s}..${e}, readAhead ${readAhead}`)
      }
    }
  }
  const p = write('blake', data.length)
  for (const readAhead of MODES) {
    const r = await hashTask({path: p, alg: 'blake2b', readAhead})
    assert.equal(r.digest.toString('hex'), createHash('blake2b512').update(data).digest('hex'))
  }
})

test('both read modes fail closed: growth, in-place rewrite, truncation, a directory, a missing file', async () => {
  const size = data.length
  for (const readAhead of [true, false]) {
    const grow = write(`grow-${readAhead}`, size)
    let grown = false
    await assert.rejects(
      hashTask({path: grow, alg: 'sha256', readAhead}, {onProgress: () => (grown ||= (fs.appendFileSync(grow, 'x'), true))}),
      {code: 'E_FILE_CHANGED', message: /size/},
      `growth, readAhead ${readAhead}`,
    )
    const rewrite = write(`rewrite-${readAhead}`, size)
    let rewritten = false
    await assert.rejects(
      hashTask(
        {path: rewrite, alg: 'sha256', readAhead},
        {
          onProgress: () => {
            if (rewritten) return
            rewritten = true
            const fd = fs.openSync(rewrite, 'r+')
            fs.writeSync(fd, Buffer.from('Z'), 0, 1, size - 1)
            const t = new Date(Date.now() + 5000)
            fs.futimesSync(fd, t, t)
            fs.closeSync(fd)
          },
        },
      ),
      {code: 'E_FILE_CHANGED', message: /modification time/},
      `rewrite, readAhead ${readAhead}`,
    )
    const shrink = write(`shrink-${readAhead}`, size)
    let shrunk = false
    await assert.rejects(
      hashTask({path: shrink, alg: 'sha256', readAhead}, {onProgress: () => (shrunk ||= (fs.truncateSync(shrink, READ_AHEAD_CHUNK_SIZE + 10), true))}),
      {code: 'E_FILE_CHANGED'},
      `truncation, readAhead ${readAhead}`,
    )
    await assert.rejects(hashTask({path: tmp.dir, alg: 'sha256', readAhead}), {code: 'E_NOT_REGULAR_FILE'})
    await assert.rejects(hashTask({path: path.join(tmp.dir, 'missing'), alg: 'sha256', readAhead}), {code: 'E_IO'})
  }
})

/** Digest of every resource, computed here with createHash over the bytes (files and shards). */
function expectedResources(dir: string, shardSize?: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const name of fs.readdirSync(dir).sort()) {
    const bytes = fs.readFileSync(path.join(dir, name))
    if (shardSize === undefined) out.set(name, sha(bytes))
    else
      for (let s = 0; s < bytes.length; s += shardSize)
        out.set(shardName(name, s, Math.min(s + shardSize, bytes.length)), sha(bytes.subarray(s, s + shardSize)))
  }
  return out
}

test('through the engine: files and shards digests equal createHash over the bytes, whatever the lanes and read mode', async () => {
  // Big files (each a long task) on edge sizes around the batch limit, small files to batch, more
  // files than lanes; with 2 lanes there are at least as many big tasks as lanes (in-thread reads),
  // with 8 lanes fewer (read-ahead); one lane hashes inline.
  const dir = subdir('model')
  const sizes = [0, 1, BATCH_MAX_BYTES - 1, BATCH_MAX_BYTES, BATCH_MAX_BYTES + 1, 2 * BATCH_MAX_BYTES + 5]
  sizes.forEach((size, i) => fs.writeFileSync(path.join(dir, `big-${i}.bin`), bigData.subarray(0, size)))
  for (let i = 0; i < 150; i++) fs.writeFileSync(path.join(dir, `small-${String(i).padStart(3, '0')}.json`), randomBytes(i * 131))
  for (const shardSize of [undefined, BATCH_MAX_BYTES, BATCH_MAX_BYTES - 1, BATCH_MAX_BYTES + 1]) {
    const expected = expectedResources(dir, shardSize)
    const roots = new Set<string>()
    for (const workers of [1, 2, 8]) {
      const method = shardSize === undefined ? 'files' : 'shards'
      const r = await serializeModel(dir, {method, shardSize, workers})
      const got = new Map(r.manifest.resources.map((x) => [x.name, x.digest]))
      assert.deepEqual(got, expected, `${method} ${shardSize ?? ''} on ${workers} lanes`)
      roots.add(r.manifest.rootDigest)
    }
    assert.equal(roots.size, 1, 'every lane count gives the same root digest')
  }
})

test('through the engine, a file changed between listing and hashing fails the whole call', async () => {
  const dir = subdir('changing')
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(dir, `part-${i}.bin`), bigData.subarray(0, BATCH_MAX_BYTES))
  // Four big tasks on two lanes (in-thread reads); the listing sees one size, the hash another.
  const tasks = fs.readdirSync(dir).map((n) => {
    const p = path.join(dir, n)
    return {path: p, alg: 'sha256' as const, expectedSize: fs.statSync(p).size + (n === 'part-2.bin' ? 1 : 0)}
  })
  await assert.rejects(hashMany(tasks, {workers: 2}), {code: 'E_FILE_CHANGED'})
  fs.rmSync(path.join(dir, 'part-1.bin'))
  await assert.rejects(
    hashMany(
      tasks.map((t) => ({...t, expectedSize: undefined})),
      {workers: 2},
    ),
    {code: 'E_IO'},
  )
})

test('which big tasks wait for an idle lane: few big ones, or very big ones; never small ones', () => {
  assert.equal(isLongTask(256 << 20, 8, 2), true, '8 x 256 MiB on 2 lanes')
  assert.equal(isLongTask(1e9, 3, 2), true, 'three 1 GB shards')
  assert.equal(isLongTask(BATCH_MAX_BYTES, 3, 2), true)
  assert.equal(isLongTask(20 << 20, 100, 2), false, '100 files of 20 MiB keep worker prefetch')
  assert.equal(isLongTask(LONG_MIN_BYTES, 100, 2), true)
  assert.equal(isLongTask(BATCH_MAX_BYTES - 1, 1, 2), false)
})
