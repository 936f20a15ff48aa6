/**
 * Hostile bundles: random structural and byte-level mutations of a good keyless bundle. Each one
 * must be rejected with a typed error (exit 1 or 3, never a crash or an untyped error), or — if
 * the mutation touched nothing that is signed (e.g. it dropped one of two time sources) — verify
 * to exactly the original payload and signer.
 */
import assert from 'node:assert/strict'
import {after, before, test} from 'node:test'

import {ModelsealError} from '../../../src/errors.js'
import {loadTrustedRoot, signKeyless, verifyKeyless, type LoadedTrust} from '../../../src/signing/keyless/index.js'
import {MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, tempDir, type SigstoreMock} from './keyless-helpers.js'
import {rng} from '../../helpers/random.js'

const ITERATIONS = 150
const PAYLOAD = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","fuzz":true}')

let mock: SigstoreMock
let tmp: {dir: string; cleanup: () => void}
let good: Record<string, unknown>
let trust: LoadedTrust

before(async () => {
  mock = await startSigstoreMock()
  tmp = tempDir('modelseal-keyless-fuzz-')
  trust = await loadTrustedRoot({trustedRootPath: mock.writeTrustedRoot(tmp.dir)})
  good = await signKeyless(PAYLOAD, 'application/vnd.in-toto+json', {
    identityToken: mock.mintToken(),
    fulcioUrl: mock.fulcioUrl,
    rekorUrl: mock.rekorUrl,
    tsaUrl: mock.tsaUrl,
    retries: 0,
    env: {},
  })
})
after(async () => {
  await mock?.close()
  tmp?.cleanup()
})

type Path = (string | number)[]
function leaves(v: unknown, p: Path = [], out: Path[] = []): Path[] {
  if (v !== null && typeof v === 'object') {
    if (p.length > 0) out.push(p)
    for (const [k, c] of Object.entries(v)) leaves(c, [...p, Array.isArray(v) ? Number(k) : k], out)
  } else out.push(p)
  return out
}

function mutate(bundle: any, r: () => number): string {
  const paths = leaves(bundle)
  const p = paths[Math.floor(r() * paths.length)]
  const parent = p.slice(0, -1).reduce((o: any, k) => o[k], bundle)
  const key = p[p.length - 1]
  const old = parent[key]
  const op = Math.floor(r() * 6)
  switch (op) {
    case 0:
      if (Array.isArray(parent)) parent.splice(Number(key), 1)
      else delete parent[key]
      break
    case 1:
      parent[key] = ''
      break
    case 2:
      parent[key] = typeof old === 'number' ? old + 1 : 12345
      break
    case 3:
      parent[key] = Array.isArray(old) ? [] : {}
      break
    default: {
      // Flip one byte of a base64 value (or one character of any other string).
      if (typeof old !== 'string' || old.length === 0) {
        parent[key] = null
        break
      }
      const isB64 = /^[A-Za-z0-9+/]+=*$/.test(old) && old.length % 4 === 0
      if (isB64) {
        const b = Buffer.from(old, 'base64')
        b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8)
        parent[key] = b.toString('base64')
      } else {
        const i = Math.floor(r() * old.length)
        parent[key] = old.slice(0, i) + String.fromCharCode(old.charCodeAt(i) ^ 1) + old.slice(i + 1)
      }
    }
  }
  return `op ${op} at ${p.join('.')}`
}

test(`${ITERATIONS} mutated bundles: typed rejection, or the original payload and signer`, async () => {
  const r = rng(20261128)
  const outcomes = new Map<string, number>()
  for (let i = 0; i < ITERATIONS; i++) {
    const b = JSON.parse(JSON.stringify(good))
    const what = mutate(b, r)
    try {
      const v = await verifyKeyless(b, {identity: MOCK_IDENTITY, issuer: MOCK_ISSUER, trust})
      assert.deepEqual(v.payload, PAYLOAD, `iteration ${i} (${what}) verified a different payload`)
      assert.deepEqual(v.signer.subjectAlternativeNames, [MOCK_IDENTITY], `iteration ${i} (${what})`)
      outcomes.set('verified', (outcomes.get('verified') ?? 0) + 1)
      if (process.env.MODELSEAL_FUZZ_VERBOSE) console.error('verified after', what)
    } catch (err) {
      assert.ok(err instanceof ModelsealError, `iteration ${i} (${what}): untyped error ${String(err)}`)
      assert.ok(err.exitCode === 1 || err.exitCode === 3, `iteration ${i} (${what}): exit ${err.exitCode}`)
      outcomes.set(err.code, (outcomes.get(err.code) ?? 0) + 1)
    }
  }
  if (process.env.MODELSEAL_FUZZ_VERBOSE) console.error(JSON.stringify([...outcomes]))
  // The mutations must mostly be caught; a run where everything verified would test nothing.
  assert.ok((outcomes.get('verified') ?? 0) < ITERATIONS / 4, JSON.stringify([...outcomes]))
})
