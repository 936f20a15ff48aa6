/** The decision engine over hand-made evidence: thresholds, matching, freshness, waivers, modes. */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {Evidence, VerifiedSigner} from '../../src/evidence/types.js'
import {evaluatePolicy} from '../../src/policy/evaluate.js'
import {evaluateSignedBy, freshSigners} from '../../src/policy/signed-by.js'
import type {Policy, Requirement} from '../../src/policy/types.js'

const at = new Date('2026-12-01T00:00:00Z')

function signer(key: string, identities: string[], time?: string): VerifiedSigner {
  return {
    source: `${key}.sig`,
    signer: {method: 'key', keyFingerprint: key},
    signerKeys: [`key:${key}`],
    identities,
    trustedTime: time ? new Date(time) : undefined,
  }
}

test('anyOf threshold counts distinct signers, never signatures or identity names', () => {
  const a1 = signer('a', ['alice', 'alice-fp'])
  const a2 = signer('a', ['alice'])
  assert.equal(evaluateSignedBy({anyOf: ['alice', 'alice-fp'], threshold: 2}, [a1, a2]).ok, false)
  assert.equal(evaluateSignedBy({anyOf: ['alice', 'bob'], threshold: 2}, [a1, signer('b', ['bob'])]).ok, true)
  assert.equal(evaluateSignedBy({anyOf: ['bob'], threshold: 1}, [a1]).ok, false)
})

test('a signer that shares any signer key with another is the same signer (key inside a certificate, keyless)', () => {
  const asKey = signer('k', ['release-key'])
  const asCert: VerifiedSigner = {...signer('k', ['release-ca']), signer: {method: 'certificate', keyIdentity: 'k'}}
  assert.equal(evaluateSignedBy({anyOf: ['release-key', 'release-ca'], threshold: 2}, [asKey, asCert]).ok, false)
  assert.equal(evaluateSignedBy({allOf: ['release-key', 'release-ca']}, [asKey, asCert]).ok, false)
  // Transitive: a and c share nothing directly but both share a key with b.
  const a: VerifiedSigner = {...signer('a', ['x']), signerKeys: ['key:a', 'keyless:i|s']}
  const b: VerifiedSigner = {...signer('b', ['y']), signerKeys: ['keyless:i|s', 'key:b']}
  const c: VerifiedSigner = {...signer('b', ['z'])}
  assert.equal(evaluateSignedBy({anyOf: ['x', 'y', 'z'], threshold: 2}, [a, b, c]).ok, false)
})

test('allOf needs a distinct signer per identity (bipartite matching, not greedy)', () => {
  // x satisfies both identities, y only the first: a greedy pick of x for "first" would fail.
  const x = signer('x', ['first', 'second'])
  const y = signer('y', ['first'])
  assert.equal(evaluateSignedBy({allOf: ['first', 'second']}, [x, y]).ok, true)
  assert.equal(evaluateSignedBy({allOf: ['first', 'second']}, [x]).ok, false)
})

test('freshness: no trusted time fails maxAge, stale and future-dated evidence do not count', () => {
  const r = freshSigners(
    [signer('a', [], undefined), signer('b', [], '2026-11-01T00:00:00Z'), signer('c', [], '2026-11-30T00:00:00Z'), signer('d', [], '2026-12-02T00:00:00Z')],
    at,
    7 * 86400e3,
    {allowClaimedTime: false},
  )
  assert.deepEqual(
    r.fresh.map((s) => s.signerKeys[0]),
    ['key:c'],
  )
  assert.match(r.rejected.join('\n'), /no trusted signing time/)
  assert.match(r.rejected.join('\n'), /older than maxAge 1w/)
  assert.match(r.rejected.join('\n'), /after the evaluation time/)
})

function policy(requirements: Requirement[], extra: Partial<Policy> = {}): Policy {
  return {
    apiVersion: 'modelseal.dev/v1alpha1',
    kind: 'ModelPolicy',
    metadata: {name: 't'},
    mode: 'enforce',
    expires: new Date('2099-01-01T00:00:00Z'),
    identities: new Map(),
    excludeVerifiedEvidence: false,
    requirements,
    waivers: [],
    source: {path: '/p.yaml', sha256: '0'.repeat(64)},
    ...extra,
  }
}

const evidence = (): Evidence => ({
  model: {path: '/m', files: [{path: 'a', size: 10, symlink: false}], totalBytes: 10, rootDigest: 'ab'.repeat(32), excludedEvidence: [], linkedDirectories: []},
  signatures: [],
  scanAttestations: [],
  provenance: [],
  datasetManifests: [],
  onnx: [{file: 'm.onnx', error: 'E_ONNX_TRUNCATED: truncated', operators: [], externalData: []}],
  problems: [],
})

test('waivers: scoped to a model digest, expired ones ignored, errors never waived', () => {
  const reqs: Requirement[] = [
    {id: 'signed', type: 'signature', signedBy: {anyOf: ['x'], threshold: 1}},
    {id: 'onnx', type: 'onnx', forbiddenOperators: [], externalData: 'allow'},
  ]
  const w = {requirements: ['signed', 'onnx'], justification: 'j', approvedBy: ['a']}
  const d = evaluatePolicy(
    policy(reqs, {
      waivers: [
        {...w, id: 'OTHER', expires: new Date('2027-01-01T00:00:00Z'), modelDigest: 'cd'.repeat(32)},
        {...w, id: 'OLD', expires: new Date('2026-01-01T00:00:00Z')},
      ],
    }),
    evidence(),
    at,
  )
  const signed = d.requirements.find((r) => r.id === 'signed')!
  assert.equal(signed.result, 'fail')
  assert.match(signed.reason, /OLD expired/)
  assert.match(signed.reason, /OTHER is scoped to another model digest/)
  const scoped = evaluatePolicy(
    policy(reqs, {waivers: [{...w, id: 'MINE', expires: new Date('2027-01-01T00:00:00Z'), modelDigest: 'ab'.repeat(32)}]}),
    evidence(),
    at,
  )
  assert.equal(scoped.requirements.find((r) => r.id === 'signed')!.result, 'waived')
  // The unreadable ONNX file is an error: not waivable, and it denies.
  assert.equal(scoped.requirements.find((r) => r.id === 'onnx')!.result, 'error')
  assert.equal(scoped.decision, 'deny')
})

test('modes: warn turns fail and error into warn; an audit policy overrides enforce requirements', () => {
  const reqs: Requirement[] = [{id: 'onnx', type: 'onnx', mode: 'enforce', forbiddenOperators: [], externalData: 'allow'}]
  assert.equal(evaluatePolicy(policy(reqs, {mode: 'audit'}), evidence(), at).decision, 'allow')
  const warn = evaluatePolicy(policy([{...reqs[0], mode: 'warn'}]), evidence(), at)
  assert.equal(warn.decision, 'allow')
  assert.equal(warn.requirements[0].result, 'warn')
  assert.equal(warn.requirements[0].outcome, 'error')
})
