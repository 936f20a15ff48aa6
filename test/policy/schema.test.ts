/**
 * Policy files: malformed ones are exit 3 with the line and the key; lint finds unknown keys,
 * unanchorable regexes, expired policies and waivers without expiry. Most cases go through the
 * library loader (fast); the CLI paths are covered by a few spawned runs.
 */
import assert from 'node:assert/strict'
import {compilePolicy} from '../../src/signing/keyless/policy.js'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, test} from 'node:test'

import {InputError} from '../../src/errors.js'
import {lintPolicy} from '../../src/policy/lint.js'
import {loadPolicy} from '../../src/policy/load.js'
import {checkRegex, matches} from '../../src/policy/matchers.js'
import {MAX_POLICY_BYTES, MAX_POLICY_LINE_LENGTH, MAX_POLICY_LINES} from '../../src/policy/yaml-source.js'
import {assertCleanFailure, parseJson, runCli, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-policy-schema-')
after(() => tmp.cleanup())
let n = 0
function file(text: string): string {
  const p = path.join(tmp.dir, `p${n++}.yaml`)
  writeFileSync(p, text)
  return p
}

const GOOD = `apiVersion: modelseal.dev/v1alpha1
kind: ModelPolicy
metadata:
  name: good
spec:
  expires: 2099-01-01T00:00:00Z
  trust:
    identities:
      ci:
        keyless:
          issuer: https://token.actions.githubusercontent.com
          subjectRegExp: 'https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v[0-9.]+'
  requirements:
    - id: signed
      type: signature
      signedBy: {anyOf: [ci]}
`

function loadError(text: string): InputError {
  try {
    loadPolicy(file(text))
  } catch (err) {
    assert.ok(err instanceof InputError, String(err))
    return err
  }
  throw new Error('policy loaded but should not have')
}

test('a valid policy loads', () => {
  const p = loadPolicy(file(GOOD))
  assert.equal(p.metadata.name, 'good')
  assert.equal(p.mode, 'enforce')
  assert.equal(p.requirements[0].type, 'signature')
})

test('unknown key: error names the line and the key, with a suggestion', () => {
  const e = loadError(GOOD.replace('signedBy: {anyOf: [ci]}', 'signedBy: {anyOf: [ci], threshhold: 1}'))
  assert.equal(e.code, 'E_POLICY_INVALID')
  assert.match(e.message, /:16: spec\.requirements\[0\]\.signedBy\.threshhold: unknown key "threshhold" \(did you mean "threshold"\?\)/)
})

test('wrong types, missing keys, unknown identities and bad times point at their key', () => {
  assert.match(loadError(GOOD.replace('type: signature', 'type: signatur')).message, /:15: spec\.requirements\[0\]\.type: type must be one of/)
  assert.match(loadError(GOOD.replace('  expires: 2099-01-01T00:00:00Z\n', '')).message, /missing required key "expires"/)
  assert.match(loadError(GOOD.replace('expires: 2099-01-01T00:00:00Z', 'expires: next year')).message, /:6: spec\.expires: must be an RFC 3339 time/)
  assert.match(loadError(GOOD.replace('anyOf: [ci]', 'anyOf: [cj]')).message, /spec\.requirements\[0\]\.signedBy\.anyOf\[0\]: unknown identity "cj"/)
  assert.match(loadError(GOOD.replace('anyOf: [ci]}', 'anyOf: [ci], threshold: 2}')).message, /threshold: must be an integer between 1 and 1/)
  assert.match(loadError(GOOD.replace('apiVersion: modelseal.dev/v1alpha1', 'apiVersion: v2')).message, /:1: apiVersion: unsupported apiVersion/)
  // issuer is mandatory for keyless: a subject alone can be minted by any OIDC provider.
  assert.match(loadError(GOOD.replace('          issuer: https://token.actions.githubusercontent.com\n', '')).message, /keyless: missing required key "issuer"/)
})

test('YAML syntax errors, duplicate keys, deep nesting, alias bombs and huge files are exit-3 errors', () => {
  assert.match(loadError(GOOD.replace('  name: good', '  name: [good')).message, /p\d+\.yaml:\d+:\d+: /)
  assert.match(loadError(GOOD.replace('  name: good', '  name: good\n  name: again')).message, /:5:\d+: Map keys must be unique/)
  assert.equal(loadError(`a: ${'['.repeat(100)}${']'.repeat(100)}`).code, 'E_POLICY_MALFORMED')
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...Array.from(
      {length: 8},
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
    ),
  ].join('\n')
  assert.match(loadError(bomb).message, /alias|Excessive/i)
  assert.match(loadError(`# ${'x'.repeat(MAX_POLICY_BYTES)}`).message, /larger than/)
  // An error flood (one malformed line after another) is refused before the YAML composer runs.
  assert.match(loadError('?\n'.repeat(MAX_POLICY_LINES + 1)).message, /more than \d+ lines/)
  // So is a line of chained implicit keys, on which the composer is quadratic (fuzz finding).
  assert.match(loadError(`a: 1\nwaivers: ${'[]: '.repeat(MAX_POLICY_LINE_LENGTH / 4)}[]\n`).message, /:2: line longer than \d+ characters/)
  assert.match(loadError('- just\n- a list\n').message, /\(document\): must be a mapping/)
})

test('regexes: parsed alone, RE2 subset, bounded at both ends unless allowed, matched whole and in linear time', () => {
  const err = (re: string, u?: 'start' | 'end' | 'both') => checkRegex(re, u).some((p) => p.level === 'error')
  // Unbalanced groups cannot escape the anchoring: they do not parse on their own.
  assert.ok(err('A)|(B'))
  assert.ok(err('(?=x)acme'))
  assert.ok(err('(a)\\1'))
  // Every spelling of "anything" at an edge is unbounded, including the ones a textual guard misses.
  for (const re of ['.*acme', '(?:.*)acme', '.{0,}acme', '[\\s\\S]*acme', '(.*|)acme', 'x?.*acme', '[^/]+acme', '\\S*acme']) assert.ok(err(re), re)
  for (const re of ['acme.*', 'acme(?:.+)', 'acme(x|.*)']) assert.ok(err(re), re)
  assert.ok(!err('acme.*', 'end'))
  assert.ok(!err('.*acme', 'start'))
  assert.ok(!err('[a-z0-9._-]+@acme\\.example'), 'a run of non-delimiters is bounded')
  assert.ok(!err('https://github\\.com/acme/[a-z]+/\\.github/workflows/x\\.yml@refs/heads/main'))
  assert.ok(err('https://github\\.com/acme/.+'))
  assert.ok(checkRegex('github.com/acme').some((p) => p.level === 'warning'))
  // The near miss: an unanchored match of "acme/" would accept "acme-evil/".
  assert.equal(matches({regExp: 'https://github\\.com/acme/.+'}, 'https://github.com/acme-evil/x'), false)
  assert.equal(matches({regExp: 'https://github\\.com/acme'}, 'https://github.com/acme-evil'), false)
  assert.equal(matches({regExp: 'https://github\\.com/acme/.+'}, 'https://github.com/acme/x'), true)
  assert.equal(matches({regExp: 'A|B'}, 'AB'), false, 'alternation is anchored as a whole')
  // The verify sigstore flags share the dialect: no escape from the anchors there either.
  assert.throws(() => compilePolicy({identityRegexp: 'https://github\\.com/acme/x)|(.*', issuer: 'i'}), /not a usable regular expression/)
  assert.equal(compilePolicy({identityRegexp: 'refs/tags/.*', issuer: 'i'}).identity.regexp?.test('refs/tags/v1'), true)
  // Catastrophic backtracking in a JS engine (2^5000 steps: the test would never end); linear here.
  assert.equal(matches({regExp: '(?:[a-z]|[a-z0-9])*'}, `${'a'.repeat(5000)}!`), false)
  assert.equal(matches({regExp: '(a+)+b'}, 'a'.repeat(5000)), false)
  assert.match(loadError(GOOD.replace("subjectRegExp: 'https", "subjectRegExp: '.*https")).message, /unbounded at the start/)
})

test('waivers must expire, name a known requirement, and carry a justification and approver', () => {
  const w = (body: string) => `${GOOD}  waivers:\n${body}`
  const e = loadError(w(`    - id: W1\n      requirement: signed\n      justification: because\n      approvedBy: [a@b.c]\n`))
  assert.equal(e.code, 'E_POLICY_INVALID')
  assert.match(e.message, /:\d+: spec\.waivers\[0\]: waiver W1 has no "expires"/)
  assert.match(
    loadError(w(`    - id: W1\n      requirement: nope\n      expires: 2027-01-01\n      justification: x\n      approvedBy: a@b.c\n`)).message,
    /unknown requirement "nope"/,
  )
  assert.match(
    loadError(w(`    - id: W1\n      requirement: signed\n      expires: 2027-01-01\n      approvedBy: a@b.c\n`)).message,
    /missing required key "justification"/,
  )
})

test('lint (library): expired policy, expired waiver, unused identity, duplicate keys', () => {
  const expired = lintPolicy(file(GOOD.replace('2099-01-01T00:00:00Z', '2020-01-01T00:00:00Z')))
  assert.equal(expired.ok, false)
  assert.ok(expired.issues.some((i) => i.code === 'POLICY_EXPIRED'))
  const withWaiver = lintPolicy(
    file(
      `${GOOD.replace('      ci:', '      unused:\n        key: {fingerprint: "sha256:' + 'a'.repeat(64) + '"}\n      ci:')}  waivers:\n    - id: W1\n      requirement: signed\n      expires: 2021-01-01\n      justification: x\n      approvedBy: a@b.c\n`,
    ),
    new Date('2026-12-01T00:00:00Z'),
  )
  assert.equal(withWaiver.ok, true, JSON.stringify(withWaiver.issues))
  assert.ok(withWaiver.issues.some((i) => i.code === 'WAIVER_EXPIRED'))
  assert.ok(withWaiver.issues.some((i) => i.code === 'IDENTITY_UNUSED'))
})

test('policy lint CLI: exit 0 with warnings, exit 3 with line and key; check with a malformed policy exits 3', async () => {
  const good = await runCli(['policy', 'lint', file(GOOD), '--at', '2026-12-01T00:00:00Z'])
  assert.equal(good.code, 0, good.stdout + good.stderr)
  assert.match(good.stdout, /^OK: /m)
  const badFile = file(GOOD.replace('subjectRegExp:', 'subjectRegexp:').replace("'https", "'.*https"))
  const bad = await runCli(['policy', 'lint', badFile, '--json'])
  assert.equal(bad.code, 3, bad.stdout + bad.stderr)
  const rep = parseJson(bad)
  const unknown = rep.issues.find((i: any) => i.code === 'UNKNOWN_KEY')
  assert.equal(unknown.line, 12)
  assert.equal(unknown.key, 'spec.trust.identities.ci.keyless.subjectRegexp')
  const chk = await runCli(['policy', 'check', tmp.dir, '--policy', badFile])
  assert.equal(chk.code, 3)
  assert.match(chk.stderr, /^modelseal: E_POLICY_INVALID: .*:12: spec\.trust\.identities\.ci\.keyless/)
  assertCleanFailure(chk)
  const usage = await runCli(['policy', 'check', tmp.dir, '--policy', file(GOOD), '--at', 'tomorrow'])
  assert.equal(usage.code, 2)
})
