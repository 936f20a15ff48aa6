import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {hashFile, hashFileRange, hashTask, READ_CHUNK_SIZE} from '../../src/hashing/file.js'
import {tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-hashfile-')
after(tmp.cleanup)
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

// Bigger than two read chunks and not a multiple of one, so the double-buffered path and a short
// last read are both exercised.
const big = randomBytes(3 * READ_CHUNK_SIZE + 12345)
const bigPath = path.join(tmp.dir, 'big.bin')
fs.writeFileSync(bigPath, big)

test('whole files and ranges hash to the same digest as an in-memory hash', async () => {
  assert.equal((await hashFile(bigPath, 'sha256')).toString('hex'), sha(big))
  const ranges: Array<[number, number]> = [
    [0, 0],
    [0, 1],
    [5, READ_CHUNK_SIZE + 7],
    [READ_CHUNK_SIZE - 1, 2 * READ_CHUNK_SIZE + 1],
    [100, big.length],
  ]
  for (const [s, e] of ranges) {
    assert.equal((await hashFileRange(bigPath, s, e, 'sha256')).toString('hex'), sha(big.subarray(s, e)), `${s}..${e}`)
  }
  const b2 = createHash('blake2b512').update(big).digest('hex')
  assert.equal((await hashFile(bigPath, 'blake2b')).toString('hex'), b2)
})

test('a file that grows while it is hashed is E_FILE_CHANGED', async () => {
  const p = path.join(tmp.dir, 'growing.bin')
  fs.writeFileSync(p, big)
  let appended = false
  await assert.rejects(
    hashFile(p, 'sha256', {
      onProgress: () => {
        // Deterministic: after the first chunk, while the second read is in flight.
        if (!appended) fs.appendFileSync(p, 'x')
        appended = true
      },
    }),
    {code: 'E_FILE_CHANGED', message: /size/},
  )
  assert.ok(appended)
})

test('a file rewritten in place (same size) while hashed is E_FILE_CHANGED', async () => {
  const p = path.join(tmp.dir, 'rewritten.bin')
  fs.writeFileSync(p, big)
  let done = false
  await assert.rejects(
    hashFile(p, 'sha256', {
      onProgress: () => {
        if (done) return
        done = true
        const fd = fs.openSync(p, 'r+')
        fs.writeSync(fd, Buffer.from('Z'), 0, 1, big.length - 1)
        const t = new Date(Date.now() + 5000)
        fs.futimesSync(fd, t, t)
        fs.closeSync(fd)
      },
    }),
    {code: 'E_FILE_CHANGED', message: /modification time/},
  )
})

test('a size different from the listed one, or a range past the end, is E_FILE_CHANGED', async () => {
  const p = path.join(tmp.dir, 'small.bin')
  fs.writeFileSync(p, 'hello')
  await assert.rejects(hashTask({path: p, alg: 'sha256', expectedSize: 4}), {code: 'E_FILE_CHANGED'})
  await assert.rejects(hashFileRange(p, 0, 6, 'sha256'), {code: 'E_FILE_CHANGED'})
  await assert.rejects(hashFileRange(p, 3, 2, 'sha256'), {code: 'E_BAD_RANGE'})
})

test('bad inputs: missing file, directory, symlink with noFollow', async () => {
  await assert.rejects(hashFile(path.join(tmp.dir, 'nope'), 'sha256'), {code: 'E_IO'})
  await assert.rejects(hashFile(tmp.dir, 'sha256'), (e: {code?: string}) => e.code === 'E_NOT_REGULAR_FILE' || e.code === 'E_IO')
  const link = path.join(tmp.dir, 'link')
  fs.symlinkSync(bigPath, link)
  await assert.rejects(hashTask({path: link, alg: 'sha256', noFollow: true}), {code: 'E_SYMLINK'})
  assert.equal((await hashFile(link, 'sha256')).toString('hex'), sha(big))
})
