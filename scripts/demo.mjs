#!/usr/bin/env node
// `npm run demo`: the whole key-based flow with the real CLI, offline, in a temp directory:
// generate a key pair, sign testdata/demo-model, verify it, tamper with a copy and watch
// verification fail. Exits 0 when every step behaved as expected (including the failure).
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(root, 'bin', 'run.js')
const work = mkdtempSync(path.join(tmpdir(), 'modelseal-demo-'))
const color = process.stdout.isTTY && !process.env.NO_COLOR
const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s)
const show = (p) => (p.startsWith(work) ? `$TMP${p.slice(work.length)}` : path.relative(root, p) || '.')
let failures = 0

function step(title, args, expectedExit) {
  console.log(`\n${bold(title)}`)
  console.log(dim(`$ modelseal ${args.map((a) => (path.isAbsolute(a) ? show(a) : a)).join(' ')}`))
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: root, encoding: 'utf8', env: {...process.env, MODELSEAL_NO_PROGRESS: '1'}})
  const out = `${r.stdout}${r.stderr}`.split(work).join('$TMP').trimEnd()
  if (out) console.log(out.replace(/^/gm, '  '))
  const ok = r.status === expectedExit
  console.log(ok ? `  → exit ${r.status} (expected)` : `  → exit ${r.status}, expected ${expectedExit}: demo FAILED`)
  if (!ok) failures++
  return r
}

try {
  console.log(bold('modelseal demo: sign and verify a model with the OpenSSF Model Signing format'))
  console.log(`working directory for keys and signatures: ${work} (shown as $TMP)`)
  const model = path.join(root, 'testdata', 'demo-model')
  const priv = path.join(work, 'signing-key.pem')
  const pub = path.join(work, 'signing-key.pub')
  const sig = path.join(work, 'demo-model.sig')

  step('1. Generate an EC P-256 key pair', ['keys', 'generate', '--private-key', priv, '--public-key', pub], 0)
  step(
    '2. Sign the model (every file hashed, the in-toto statement signed into a Sigstore bundle)',
    ['sign', 'key', model, '--private-key', priv, '--signature', sig],
    0,
  )
  const bundle = JSON.parse(readFileSync(sig, 'utf8'))
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))
  console.log(dim(`  the signed statement lists ${statement.predicate.resources.length} files:`))
  for (const r of statement.predicate.resources) console.log(dim(`    ${r.name}  ${r.algorithm}:${r.digest.slice(0, 16)}…`))
  step('3. Verify the model against the signature and the public key', ['verify', 'key', model, '--signature', sig, '--public-key', pub], 0)

  const tampered = path.join(work, 'tampered-model')
  cpSync(model, tampered, {recursive: true})
  const weights = path.join(tampered, 'model.safetensors')
  const bytes = readFileSync(weights)
  bytes[bytes.length - 1] ^= 0x01
  writeFileSync(weights, bytes)
  writeFileSync(path.join(tampered, 'backdoor.py'), 'import os\n')
  console.log(`\n${bold('4. Tamper with a copy:')} flip one bit of model.safetensors and add backdoor.py`)
  step(
    '5. Verify the tampered copy: verification must fail (exit 1), one line per problem',
    ['verify', 'key', tampered, '--signature', sig, '--public-key', pub],
    1,
  )
} finally {
  rmSync(work, {recursive: true, force: true})
}

console.log(
  failures === 0 ? `\n${bold('Demo complete: every step behaved as expected.')}` : `\n${bold(`Demo failed: ${failures} step(s) did not behave as expected.`)}`,
)
process.exit(failures === 0 ? 0 : 1)
