/**
 * The documentation's shell examples run as written.
 *
 * - README.md: every ```sh block runs, in order, in one sandbox that holds what a reader has
 *   after a checkout (testdata/, policies/) plus the few inputs the text assumes exist (a model,
 *   data, tar shards, ONNX files, a certificate chain). Each command must exit 0, or the code
 *   its trailing comment announces (`# exit 1`). A block preceded by
 *   `<!-- docs-test: skip (reason) -->` is not run (it needs the network or an identity).
 * - docs/*.md: every `modelseal …` line of a shell example that is not a synopsis
 *   (`[flags]`, `MODEL_PATH`, `a|b`) is run in the same kind of sandbox without network access;
 *   it must not be a usage error (exit 2) and must not print a stack trace: the commands and
 *   flags the docs show exist and parse.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {repoRoot, tempDir} from '../helpers/cli.js'

interface Block {
  file: string
  line: number
  info: string
  body: string
  skip?: string
}

export function shellBlocks(file: string): Block[] {
  const text = readFileSync(file, 'utf8')
  const out: Block[] = []
  const re = /^```([A-Za-z]*)[^\n]*\n([\s\S]*?)^```/gm
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const before = text.slice(0, m.index)
    const prevLine = before.trimEnd().split('\n').pop() ?? ''
    const skip = /<!--\s*docs-test:\s*skip\s*\(([^)]*)\)\s*-->/.exec(prevLine)?.[1]
    out.push({file, line: before.split('\n').length, info: m[1], body: m[2], skip})
  }
  return out.filter((b) => ['sh', 'bash', 'shell', 'console', ''].includes(b.info))
}

/** Logical command lines: continuations joined, comments and blanks dropped, `$ ` prompts removed. */
function commands(body: string): {cmd: string; expect: number}[] {
  const joined = body.replace(/\\\n\s*/g, ' ')
  const out: {cmd: string; expect: number}[] = []
  for (const raw of joined.split('\n')) {
    const line = raw.replace(/^\s*\$ /, '').trim()
    if (line === '' || line.startsWith('#')) continue
    const expect = Number(/#\s*exit (\d)\s*$/.exec(line)?.[1] ?? 0)
    out.push({cmd: line, expect})
  }
  return out
}

const tmp = tempDir('modelseal-docs-')
const world = tmp.dir
const hasOpenssl = spawnSync('openssl', ['version']).status === 0

/** What a reader has: a checkout's testdata/ and policies/, and the inputs the examples name. */
function makeWorld(dir: string): void {
  mkdirSync(dir, {recursive: true})
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), path.join(dir, 'testdata', 'demo-model'), {recursive: true})
  cpSync(path.join(repoRoot, 'testdata', 'dataset', 'tree'), path.join(dir, 'testdata', 'dataset', 'tree'), {recursive: true})
  cpSync(path.join(repoRoot, 'policies'), path.join(dir, 'policies'), {recursive: true})
  for (const m of ['my-model', 'model']) cpSync(path.join(repoRoot, 'testdata', 'demo-model'), path.join(dir, m), {recursive: true})
  cpSync(path.join(repoRoot, 'testdata', 'dataset', 'tree'), path.join(dir, 'data'), {recursive: true})
  mkdirSync(path.join(dir, 'models'))
  cpSync(path.join(repoRoot, 'testdata', 'onnx', 'clean_cnn.onnx'), path.join(dir, 'models', 'classifier.onnx'))
  cpSync(path.join(repoRoot, 'testdata', 'onnx', 'clean_cnn.onnx'), path.join(dir, 'model.onnx'))
  cpSync(path.join(repoRoot, 'testdata', 'onnx', 'clean_cnn.onnx'), path.join(dir, 'trusted-export.onnx'))
  mkdirSync(path.join(dir, 'shards'))
  execFileSync('tar', ['-cf', path.join(dir, 'shards', 'shard-000.tar'), '-C', path.join(dir, 'data'), '.'])
  if (hasOpenssl) certificateChain(dir)
  // `modelseal` on PATH is this checkout's built CLI.
  const bin = path.join(dir, '.bin')
  mkdirSync(bin)
  writeFileSync(path.join(bin, 'modelseal'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'bin', 'run.js')}" "$@"\n`)
  chmodSync(path.join(bin, 'modelseal'), 0o755)
}

/** root.crt → intermediate.crt → leaf.crt (key leaf.pem), as the certificate examples assume. */
function certificateChain(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
  const ext = (name: string, text: string) => writeFileSync(path.join(dir, name), text)
  ext('ca.ext', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n')
  ext('leaf.ext', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n')
  for (const k of ['root', 'intermediate', 'leaf']) ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${k}.key`)
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'root.key',
    '-out',
    'root.crt',
    '-days',
    '30',
    '-subj',
    '/CN=Example Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  )
  ssl('req', '-new', '-key', 'intermediate.key', '-out', 'intermediate.csr', '-subj', '/CN=Example Intermediate')
  ssl(
    'x509',
    '-req',
    '-in',
    'intermediate.csr',
    '-CA',
    'root.crt',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'intermediate.crt',
    '-days',
    '30',
    '-extfile',
    'ca.ext',
  )
  ssl('req', '-new', '-key', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=release@example.com')
  ssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'intermediate.crt',
    '-CAkey',
    'intermediate.key',
    '-CAcreateserial',
    '-out',
    'leaf.crt',
    '-days',
    '30',
    '-extfile',
    'leaf.ext',
  )
  ssl('pkcs8', '-topk8', '-nocrypt', '-in', 'leaf.key', '-out', 'leaf.pem')
}

function runScript(script: string, cwd: string, extraEnv: Record<string, string> = {}): {code: number | null; out: string} {
  const r = spawnSync('bash', ['-c', script], {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: {...process.env, PATH: `${path.join(world, '.bin')}:${process.env.PATH}`, NO_COLOR: '1', MODELSEAL_NO_PROGRESS: '1', ...extraEnv},
  })
  return {code: r.status, out: `${r.stdout}${r.stderr}`}
}

before(() => makeWorld(world))
after(() => tmp.cleanup())

test('README.md: every shell example runs as written and exits as it says', {skip: !hasOpenssl && 'openssl not installed'}, () => {
  const blocks = shellBlocks(path.join(repoRoot, 'README.md'))
  assert.ok(blocks.filter((b) => !b.skip).length >= 4, 'README has runnable examples')
  for (const b of blocks) {
    if (b.skip) continue
    // One bash process per block, so `cd` carries over inside a block as it would for a reader.
    const lines = commands(b.body).map(({cmd, expect}) => {
      const quoted = cmd.replace(/'/g, `'"'"'`)
      return `${cmd}\nrc=$?; if [ "$rc" != ${expect} ]; then echo 'FAILED (exit '"$rc"', expected ${expect}): ${quoted}' >&2; exit 1; fi`
    })
    const r = runScript(lines.join('\n'), world)
    assert.equal(r.code, 0, `README.md:${b.line}: ${r.out}`)
  }
})

test('README.md: the deploy example reaches "allow" with modelseal alone', {skip: !hasOpenssl && 'openssl not installed'}, () => {
  const deploy = shellBlocks(path.join(repoRoot, 'README.md')).find((b) => /policy check/.test(b.body) && /attest provenance/.test(b.body))
  assert.ok(deploy, 'README has the deploy example')
  const dir = path.join(world, 'deploy-again')
  makeWorld(dir)
  const script = commands(deploy.body)
    .map((c) => c.cmd)
    .join(' &&\n')
  const r = runScript(script.replace(/\n(\s*)modelseal policy check/, '\n$1modelseal policy check'), dir)
  assert.equal(r.code, 0, r.out)
  const decision = JSON.parse(r.out.slice(r.out.lastIndexOf('\n{"') + 1 || r.out.indexOf('{\n  "')))
  assert.equal(decision.decision ?? decision.result ?? decision.verdict, 'allow', r.out)
})

test('docs/*.md: every modelseal command shown parses (no usage error, no stack trace, no network)', () => {
  const docs = readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md'))
  const noNetwork = path.join(repoRoot, 'test', 'signing', 'keyless', 'no-network.mjs')
  let ran = 0
  for (const f of docs) {
    const sandbox = path.join(world, `docs-${f}`)
    makeWorld(sandbox)
    for (const b of shellBlocks(path.join(repoRoot, 'docs', f))) {
      if (b.skip) continue
      for (const {cmd, expect} of commands(b.body)) {
        if (!/^modelseal\s/.test(cmd)) continue
        // A synopsis, not an example: placeholders, optional parts, alternatives.
        if (/\[|\]|MODEL_PATH|\bPATH\.\.\.|\bFILE\b|…|\.\.\.|<[^>]+>|\s\|\s|[a-z0-9]\|[a-z0-9]/.test(cmd.replace(/#.*$/, ''))) continue
        const single = cmd.replace(/\s+#.*$/, '').split(/\s*(?:&&|;|\|)\s*(?=modelseal\s)/)
        for (const part of single) {
          const r = runScript(part, sandbox, {NODE_OPTIONS: `--import=${noNetwork}`})
          ran++
          if (expect === 2) continue
          assert.notEqual(r.code, 2, `docs/${f}:${b.line}: "${part}" is a usage error:\n${r.out}`)
          assert.doesNotMatch(r.out, /\n\s+at .+:\d+:\d+\)?\n/, `docs/${f}:${b.line}: stack trace`)
        }
      }
    }
  }
  assert.ok(ran > 0, 'docs contain modelseal examples')
})
