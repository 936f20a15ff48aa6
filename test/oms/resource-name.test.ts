/**
 * The one resource-name definition: parse ∘ format is the identity, the signer and the verifier
 * accept exactly the same names, and the edge names of the OMS format behave as documented.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {describe, test} from 'node:test'

import fc from 'fast-check'

import {InputError, VerificationError} from '../../src/errors.js'
import {
  assertSafeResourceName,
  compareResourceKeys,
  computeRootDigest,
  formatResourceName,
  MAX_RESOURCES,
  parseResourceName,
  sortResources,
  type ResourceKey,
} from '../../src/oms/resource-name.js'
import {parseStatement} from '../../src/oms/statement.js'
import type {SerializationMethod} from '../../src/oms/types.js'

const DIGEST = createHash('sha256').update('x').digest('hex')

/** The verifier's view: a signed statement listing `names` (under `method`) is accepted. */
function verifierAccepts(names: string[], method: SerializationMethod): boolean {
  const resources = names.map((name) => ({name, algorithm: method === 'shards' ? 'sha256-sharded-10' : 'sha256', digest: DIGEST}))
  const st = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{name: 'm', digest: {sha256: computeRootDigest(resources)}}],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      serialization: {method, hash_type: 'sha256', allow_symlinks: false, ...(method === 'shards' ? {shard_size: 10} : {})},
      resources,
    },
  }
  try {
    parseStatement(Buffer.from(JSON.stringify(st)))
    return true
  } catch (err) {
    assert.ok(err instanceof VerificationError || err instanceof InputError, String(err))
    return false
  }
}

/** The signer's view: serialization would produce (and accept) the name. */
function signerAccepts(name: string, method: SerializationMethod): boolean {
  try {
    parseResourceName(name, method)
    return true
  } catch (err) {
    assert.ok(err instanceof InputError, String(err))
    return false
  }
}

const segment = fc.oneof(
  fc.constantFrom('a', 'b.bin', '..', '.', '', 'C:', 'c:', 'x:1', '00', 'é', '😀', '\\', '\0', '\ud800', 'w.bin:0:10'),
  fc.string({minLength: 0, maxLength: 6}),
)
const anyName = fc.oneof(
  fc.array(segment, {minLength: 1, maxLength: 4}).map((p) => p.join('/')),
  fc
    .tuple(
      fc.array(segment, {minLength: 1, maxLength: 3}),
      fc.constantFrom('0', '00', '1', '01', '10', '-1', '9007199254740993', 'x'),
      fc.constantFrom('0', '1', '10', '010', '20'),
    )
    .map(([p, s, e]) => `${p.join('/')}:${s}:${e}`),
  fc.string({maxLength: 12}),
)

const safeSegment = fc.string({minLength: 1, maxLength: 8}).filter((s) => s !== '.' && s !== '..' && !/[/\\\0]|\p{Cs}/u.test(s))
const safePath = fc
  .array(safeSegment, {minLength: 1, maxLength: 4})
  .map((p) => p.join('/'))
  .filter((p) => !/^[A-Za-z]:(\/|$)/.test(p))
const key: fc.Arbitrary<ResourceKey> = fc.oneof(
  safePath.map((path) => ({kind: 'file' as const, path})),
  fc
    .tuple(safePath, fc.nat({max: 2 ** 40}), fc.integer({min: 1, max: 2 ** 40}))
    .map(([path, start, len]) => ({kind: 'shard' as const, path, start, end: start + len})),
)

describe('resource names', () => {
  test('parse(format(k)) == k', () => {
    fc.assert(
      fc.property(key, (k) => assert.deepEqual(parseResourceName(formatResourceName(k), k.kind === 'shard' ? 'shards' : 'files'), k)),
      {numRuns: 500},
    )
  })

  test('the signer and the verifier accept exactly the same names', () => {
    for (const method of ['files', 'shards'] as const) {
      fc.assert(
        fc.property(anyName, (name) => signerAccepts(name, method) === verifierAccepts([name], method)),
        {numRuns: 400},
      )
    }
  })

  test('edge names', () => {
    const table: Array<[string, SerializationMethod, boolean]> = [
      ['.', 'files', true],
      ['a:b', 'files', true],
      ['dir/x:y:z.bin', 'files', true],
      ['.hidden/..x/a..b', 'files', true],
      ['é/😀.bin', 'files', true],
      ['a:b.bin:0:1', 'shards', true],
      ['w.bin:0:1000', 'shards', true],
      ['.:0:5', 'shards', true],
      ['w.bin:00:1000', 'shards', false],
      ['w.bin:0:01000', 'shards', false],
      ['w.bin:+0:1000', 'shards', false],
      ['w.bin:1:1', 'shards', false],
      ['w.bin:2:1', 'shards', false],
      ['w.bin:0:9007199254740993', 'shards', false],
      ['w.bin', 'shards', false],
      ['', 'files', false],
      ['C:/x', 'files', false],
      ['C:', 'files', false],
      ['C:/x:0:1', 'shards', false],
      ['/etc/passwd', 'files', false],
      ['a\\b', 'files', false],
      ['a\0b', 'files', false],
      ['../x', 'files', false],
      ['a/../../x', 'files', false],
      ['../x:0:1', 'shards', false],
      ['a//b', 'files', false],
      ['./a', 'files', false],
      ['a/', 'files', false],
      ['bad\ud800name', 'files', false],
      ['bad\udc00:0:1', 'shards', false],
    ]
    for (const [name, method, ok] of table) {
      assert.equal(signerAccepts(name, method), ok, `signer ${method} ${JSON.stringify(name)}`)
      assert.equal(verifierAccepts([name], method), ok, `verifier ${method} ${JSON.stringify(name)}`)
    }
    assert.throws(() => assertSafeResourceName('C:/x'), {code: 'E_UNSAFE_RESOURCE_NAME'})
  })

  test('a non-canonical alias listed before the canonical shard is refused', () => {
    assert.equal(verifierAccepts(['w.bin:00:10', 'w.bin:0:10'], 'shards'), false)
    assert.equal(verifierAccepts(['w.bin:0:10', 'w.bin:10:20'], 'shards'), true)
    assert.equal(verifierAccepts(['w.bin:0:10', 'w.bin:0:10'], 'shards'), false)
  })

  test(`more than ${MAX_RESOURCES} resources are refused before any is read`, () => {
    // Small entries, so the payload stays under the bundle size limit and the count check is reached.
    const resources = new Array(MAX_RESOURCES + 1).fill({name: 'a', digest: ''})
    const st = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{name: 'm', digest: {sha256: DIGEST}}],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: {serialization: {method: 'files', hash_type: 'sha256', allow_symlinks: false}, resources},
    }
    assert.throws(() => parseStatement(Buffer.from(JSON.stringify(st))), /more than 1000000 resources/)
  })

  test('canonical order: component-wise bytes, then start and end', () => {
    const names = ['a-c:0:1', 'a/b.bin:10:20', 'a/b.bin:2:10', 'a/b.bin:0:2', 'é:0:1', 'z:0:1']
    const sorted = sortResources(
      names.map((name) => ({name, algorithm: 'sha256-sharded-10', digest: DIGEST})),
      'shards',
    ).map((r) => r.name)
    assert.deepEqual(sorted, ['a/b.bin:0:2', 'a/b.bin:2:10', 'a/b.bin:10:20', 'a-c:0:1', 'z:0:1', 'é:0:1'])
    const keys = names.map((n) => parseResourceName(n, 'shards'))
    assert.deepEqual(keys.sort(compareResourceKeys).map(formatResourceName), sorted)
  })

  test('digest hex is validated for the root digest', () => {
    for (const bad of ['', 'abc', 'zz', 'ab cd']) assert.throws(() => computeRootDigest([{digest: bad}]), {code: 'E_BAD_DIGEST'}, bad)
    assert.equal(computeRootDigest([{digest: 'AB'}]), computeRootDigest([{digest: 'ab'}]))
  })
})
