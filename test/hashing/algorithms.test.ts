import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {test} from 'node:test'

import {blake3} from '@noble/hashes/blake3'

import {createHasher, DIGEST_LENGTH, hashBytes, parseHashAlgorithm} from '../../src/hashing/algorithms.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

test('known-answer vectors: sha256, blake2b (512-bit, like hashlib.blake2b()), blake3', async () => {
  const abc = Buffer.from('abc')
  assert.equal(hex(await hashBytes(abc, 'sha256')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  assert.equal(
    hex(await hashBytes(abc, 'blake2b')),
    'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
  )
  assert.equal(
    hex(await hashBytes(Buffer.alloc(0), 'blake2b')),
    '786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce',
  )
  assert.equal(hex(await hashBytes(Buffer.alloc(0), 'blake3')), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262')
  assert.equal(hex(await hashBytes(abc, 'blake3')), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
  assert.equal(DIGEST_LENGTH.blake2b, 64)
})

test('blake3 (hash-wasm) agrees with an independent implementation across chunk boundaries', async () => {
  for (const n of [1, 63, 64, 65, 1023, 1024, 1025, 2048, 4097, 100_003]) {
    const data = randomBytes(n)
    assert.equal(hex(await hashBytes(data, 'blake3')), hex(blake3(data)), `length ${n}`)
  }
})

test('interleaved incremental blake3 hashers do not share state', async () => {
  const a = await createHasher('blake3')
  const b = await createHasher('blake3')
  a.update(Buffer.from('a'))
  b.update(Buffer.from('b'))
  a.update(Buffer.from('bc'))
  assert.equal(hex(a.digest()), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
  assert.equal(hex(b.digest()), hex(blake3(Buffer.from('b'))))
})

test('parseHashAlgorithm accepts the registry names and the Python API spelling blake2', () => {
  assert.equal(parseHashAlgorithm('sha256'), 'sha256')
  assert.equal(parseHashAlgorithm('blake2'), 'blake2b')
  assert.throws(() => parseHashAlgorithm('md5'), {code: 'E_BAD_HASH'})
})
