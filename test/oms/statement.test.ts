import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {describe, test} from 'node:test'

import {InputError, VerificationError} from '../../src/errors.js'
import {computeRootDigest as rootDigestOf, parseShardName, unsafePathReason as unsafeNameReason} from '../../src/oms/resource-name.js'
import {buildStatement, parseStatement, statementPayload} from '../../src/oms/statement.js'
import type {Manifest} from '../../src/oms/types.js'

const d = (s: string) => createHash('sha256').update(s).digest('hex')

function manifest(over: Partial<Manifest['serialization']> = {}, names = ['a/b.bin', 'a-c']): Manifest {
  const shards = over.method === 'shards'
  const resources = names.map((n) => ({name: shards ? `${n}:0:3` : n, algorithm: shards ? `sha256-sharded-${over.shardSize}` : 'sha256', digest: d(n)}))
  return {
    modelName: 'm',
    serialization: {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: ['.git', 'model.sig'], ...over},
    resources,
    rootDigest: rootDigestOf(resources),
  }
}

const payloadOf = (o: unknown) => Buffer.from(JSON.stringify(o))
const rejects = (p: Buffer, code: string) =>
  assert.throws(
    () => parseStatement(p),
    (e: unknown) => (e instanceof VerificationError || e instanceof InputError) && e.code === code,
  )

describe('statement', () => {
  test('the built statement has exactly the model_signing v1.0 shape', () => {
    const st = buildStatement(manifest()) as any
    assert.deepEqual(Object.keys(st), ['_type', 'subject', 'predicateType', 'predicate'])
    assert.equal(st._type, 'https://in-toto.io/Statement/v1')
    assert.equal(st.predicateType, 'https://model_signing/signature/v1.0')
    assert.deepEqual(Object.keys(st.predicate), ['serialization', 'resources'])
    assert.deepEqual(st.predicate.serialization, {method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: ['.git', 'model.sig']})
    assert.deepEqual(st.subject, [{name: 'm', digest: {sha256: rootDigestOf(manifest().resources)}}])
    // compact, raw UTF-8, integer shard_size, no ignore_paths when empty
    const sh = JSON.parse(statementPayload(manifest({method: 'shards', shardSize: 1000, ignorePaths: []})).toString())
    assert.deepEqual(sh.predicate.serialization, {method: 'shards', hash_type: 'sha256', shard_size: 1000, allow_symlinks: false})
    assert.ok(!statementPayload(manifest()).toString().includes('\n'))
  })

  test('round trip, any order, float shard_size and both shard algorithm spellings', () => {
    const m = manifest({method: 'shards', shardSize: 1000000000})
    const back = parseStatement(statementPayload(m))
    assert.deepEqual(back.resources, m.resources)
    assert.equal(back.serialization.shardSize, 1000000000)
    const st = buildStatement(m) as any
    st.predicate.resources.reverse()
    st.subject[0].digest.sha256 = rootDigestOf(st.predicate.resources)
    // Python prints Struct numbers as floats; JSON.parse reads 1000000000.0 as an integer.
    const floaty = Buffer.from(JSON.stringify(st).replace('"shard_size":1000000000', '"shard_size":1000000000.0'))
    assert.ok(floaty.toString().includes('1000000000.0'))
    assert.equal(parseStatement(floaty).serialization.shardSize, 1000000000)
    for (const r of st.predicate.resources) r.algorithm = 'sha256'
    const spec = parseStatement(payloadOf(st))
    assert.ok(spec.resources.every((r) => r.algorithm === 'sha256-sharded-1000000000'))
    st.predicate.serialization.shard_size = 1.5
    rejects(payloadOf(st), 'E_STATEMENT_INVALID')
  })

  test("':' inside a file name in shard mode: the last two parts are the range", () => {
    assert.deepEqual(parseShardName('a:b.bin:0:1'), {kind: 'shard', path: 'a:b.bin', start: 0, end: 1})
    assert.throws(() => parseShardName('a:1:1'), {code: 'E_BAD_SHARD_NAME'})
    assert.throws(() => parseShardName('a:x:1'), {code: 'E_BAD_SHARD_NAME'})
    const m = manifest({method: 'shards', shardSize: 3}, ['a:b.bin', 'c'])
    assert.equal(parseStatement(statementPayload(m)).resources[0].name, 'a:b.bin:0:3')
  })

  test('unsafe resource names are rejected before anything is opened', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'a\0b', 'a//b', './a', 'a/', '', 'C:/x']) {
      assert.ok(unsafeNameReason(bad), bad)
      const m = manifest({}, [bad])
      rejects(statementPayload(m), 'E_UNSAFE_SIGNED_PATH')
      const sh = manifest({method: 'shards', shardSize: 3}, [bad])
      rejects(statementPayload(sh), 'E_UNSAFE_SIGNED_PATH')
    }
    assert.equal(unsafeNameReason('.'), undefined)
    assert.equal(unsafeNameReason('.hidden/..x/a..b'), undefined)
  })

  test('structural problems are rejected', () => {
    const base = () => buildStatement(manifest()) as any
    const mut = (f: (s: any) => void) => {
      const s = base()
      f(s)
      return payloadOf(s)
    }
    rejects(Buffer.from('nope'), 'E_STATEMENT_MALFORMED')
    rejects(Buffer.from('['.repeat(10_000) + ']'.repeat(10_000)), 'E_STATEMENT_MALFORMED')
    rejects(
      mut((s) => (s._type = 'https://in-toto.io/Statement/v0.1')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicateType = 'https://example.com/wrong-predicate/v1.0')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => s.subject.push(s.subject[0])),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.subject[0].digest.sha256 = d('other'))),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicate.serialization.method = 'tar')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicate.serialization.hash_type = 'md5')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicate.resources[0].algorithm = 'blake2b')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicate.resources[0].digest = 'abcd')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => s.predicate.resources.push(s.predicate.resources[0])),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicate.serialization.method = 'shards')),
      'E_STATEMENT_INVALID',
    )
    rejects(
      mut((s) => (s.predicate.serialization.ignore_paths = 'x')),
      'E_STATEMENT_INVALID',
    )
  })

  test('missing ignore_paths and allow_symlinks, extra keys, upper-case hex are accepted', () => {
    const s = buildStatement(manifest()) as any
    delete s.predicate.serialization.ignore_paths
    delete s.predicate.serialization.allow_symlinks
    s.predicate.extra = 1
    s.predicate.resources[0].annotations = {x: 1}
    s.predicate.resources[0].digest = s.predicate.resources[0].digest.toUpperCase()
    const m = parseStatement(payloadOf(s))
    assert.deepEqual(m.serialization.ignorePaths, [])
    assert.equal(m.serialization.allowSymlinks, false)
    assert.equal(m.resources[0].digest, d('a/b.bin'))
  })

  test('the v0.2.0 Digests/v0.1 predicate reads as files + sha256', () => {
    const st = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        {name: 'signme-1', digest: {sha256: d('1')}, annotations: {actual_hash_algorithm: 'file-sha256'}},
        {name: 'sub/signme-2', digest: {sha256: d('2')}, annotations: {actual_hash_algorithm: 'file-sha256'}},
      ],
      predicateType: 'https://model_signing/Digests/v0.1',
      predicate: {unused: 'Unused, just passed due to API requirements'},
    }
    const m = parseStatement(payloadOf(st))
    assert.equal(m.legacy, true)
    assert.deepEqual(
      m.resources.map((r) => r.name),
      ['signme-1', 'sub/signme-2'],
    )
    assert.equal(m.serialization.method, 'files')
    st.subject[0].name = '../evil'
    rejects(payloadOf(st), 'E_UNSAFE_SIGNED_PATH')
  })
})
