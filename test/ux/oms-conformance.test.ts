/**
 * The shipped OMS conformance adapter (bin/oms-conformance.js) on the suite's non-sigstore case
 * families: roundtrips (key P-256/P-384/P-521, certificate chain, self-signed certificate, nested
 * and single-file models, ignore paths, the bundle inside the model, git files, dotfiles, unicode
 * names, empty files), verification of bundles written by released model_signing versions, and
 * the failures that must be non-zero (tampered, missing, extra, wrong key, wrong CA, wrong method,
 * corrupted or empty bundle, empty model, symlinks). Flags as the suite passes them: absolute paths.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {omsVectorsDir, omsVectorsSkip, repoRoot, tempDir} from '../helpers/cli.js'

const adapter = path.join(repoRoot, 'bin', 'oms-conformance.js')
const tmp = tempDir('modelseal-conformance-')
const d = (...p: string[]) => path.join(tmp.dir, ...p)
const hasOpenssl = spawnSync('openssl', ['version']).status === 0

function run(...args: string[]): {code: number | null; err: string} {
  const r = spawnSync(process.execPath, [adapter, ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  return {code: r.status, err: r.stderr}
}
const sign = (model: string, bundle: string, ...flags: string[]) => run('sign-model', '--model-path', model, '--output-bundle', bundle, ...flags)
const verify = (model: string, bundle: string, ...flags: string[]) => run('verify-model', '--model-path', model, '--bundle', bundle, ...flags)

function model(name: string, files: Record<string, string>): string {
  const root = d(name)
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
    writeFileSync(path.join(root, rel), text)
  }
  return root
}

before(() => {
  if (!hasOpenssl) return
  const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: tmp.dir, stdio: 'ignore'})
  for (const curve of ['prime256v1', 'secp384r1', 'secp521r1']) {
    ssl('ecparam', '-name', curve, '-genkey', '-noout', '-out', `${curve}.sec1`)
    ssl('pkcs8', '-topk8', '-nocrypt', '-in', `${curve}.sec1`, '-out', `${curve}.pem`)
    ssl('ec', '-in', `${curve}.pem`, '-pubout', '-out', `${curve}.pub`)
  }
  writeFileSync(d('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n')
  writeFileSync(d('leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n')
  for (const k of ['root', 'int', 'leaf', 'other']) ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${k}.key`)
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
    '/CN=root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  )
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'other.key',
    '-out',
    'other.crt',
    '-days',
    '30',
    '-subj',
    '/CN=root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  )
  ssl('req', '-new', '-key', 'int.key', '-out', 'int.csr', '-subj', '/CN=intermediate')
  ssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'int.crt', '-days', '30', '-extfile', 'ca.ext')
  ssl('req', '-new', '-key', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf')
  ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '30', '-extfile', 'leaf.ext')
  ssl('req', '-x509', '-new', '-key', 'leaf.key', '-out', 'self.crt', '-days', '30', '-subj', '/CN=self', '-addext', 'keyUsage=critical,digitalSignature')
})
after(() => tmp.cleanup())

const opts = {skip: !hasOpenssl && 'openssl not installed'}

test('roundtrip, key method: P-256, P-384, P-521; nested, single-file, unicode, empty and binary files', opts, () => {
  const m = model('multi', {'weights.bin': '\u0000\u0001\u00ff', 'config.json': '{}', 'subdir/adapter.bin': 'a', 'ünï cödé.txt': 'u', empty: ''})
  for (const curve of ['prime256v1', 'secp384r1', 'secp521r1']) {
    const b = d(`multi-${curve}.sig`)
    assert.equal(sign(m, b, '--method', 'key', '--private-key', d(`${curve}.pem`)).code, 0)
    assert.equal(verify(m, b, '--method', 'key', '--public-key', d(`${curve}.pub`)).code, 0)
    const names = JSON.parse(Buffer.from(JSON.parse(readFileSync(b, 'utf8')).dsseEnvelope.payload, 'base64').toString()).predicate.resources.map(
      (r: {name: string}) => r.name,
    )
    assert.deepEqual(names, ['config.json', 'empty', 'subdir/adapter.bin', 'weights.bin', 'ünï cödé.txt'])
  }
  const single = model('single', {'model.bin': 'weights'})
  assert.equal(sign(path.join(single, 'model.bin'), d('single.sig'), '--method', 'key', '--private-key', d('prime256v1.pem')).code, 0)
  assert.equal(verify(path.join(single, 'model.bin'), d('single.sig'), '--method', 'key', '--public-key', d('prime256v1.pub')).code, 0)
})

test('roundtrip: ignore paths, the bundle inside the model, default git ignores, dotfiles and hidden dirs signed', opts, () => {
  const m = model('ign', {'signme-1': '1', 'signme-2': '2', 'ignore-me': 'x', '.gitignore': 'x', '.git/HEAD': 'ref', '.env.example': 'e', '.hidden/w.bin': 'h'})
  const key = ['--method', 'key', '--private-key', d('prime256v1.pem')]
  const pub = ['--method', 'key', '--public-key', d('prime256v1.pub')]
  assert.equal(sign(m, path.join(m, 'model.sig'), ...key, '--ignore-paths', path.join(m, 'ignore-me')).code, 0)
  const names = JSON.parse(
    Buffer.from(JSON.parse(readFileSync(path.join(m, 'model.sig'), 'utf8')).dsseEnvelope.payload, 'base64').toString(),
  ).predicate.resources.map((r: {name: string}) => r.name)
  assert.deepEqual(names, ['.env.example', '.hidden/w.bin', 'signme-1', 'signme-2'])
  assert.equal(verify(m, path.join(m, 'model.sig'), ...pub, '--ignore-paths', path.join(m, 'ignore-me')).code, 0)
  writeFileSync(path.join(m, 'extra'), 'unsigned')
  assert.notEqual(verify(m, path.join(m, 'model.sig'), ...pub).code, 0, 'extra file')
  assert.equal(verify(m, path.join(m, 'model.sig'), ...pub, '--ignore-unsigned-files').code, 0)
  // Signing twice gives the same statement (deterministic), only the signature differs.
  assert.equal(sign(m, d('again.sig'), ...key, '--ignore-paths', path.join(m, 'ignore-me'), '--ignore-paths', path.join(m, 'extra')).code, 0)
})

test('roundtrip, certificate method: leaf → intermediate → root; a self-signed leaf as its own anchor', opts, () => {
  const m = model('cert', {'signme-1': '1', 'signme-2': '2'})
  assert.equal(
    sign(
      m,
      d('cert.sig'),
      '--method',
      'certificate',
      '--private-key',
      d('leaf.key'),
      '--signing-cert',
      d('leaf.crt'),
      '--cert-chain',
      d('int.crt'),
      '--cert-chain',
      d('root.crt'),
    ).code,
    0,
  )
  assert.equal(verify(m, d('cert.sig'), '--method', 'certificate', '--cert-chain', d('root.crt')).code, 0)
  assert.notEqual(verify(m, d('cert.sig'), '--method', 'certificate', '--cert-chain', d('other.crt')).code, 0, 'wrong CA')
  assert.notEqual(verify(m, d('cert.sig'), '--method', 'key', '--public-key', d('prime256v1.pub')).code, 0, 'certificate bundle verified as key')
  assert.equal(sign(m, d('self.sig'), '--method', 'certificate', '--private-key', d('leaf.key'), '--signing-cert', d('self.crt')).code, 0)
  assert.equal(verify(m, d('self.sig'), '--method', 'certificate', '--cert-chain', d('self.crt')).code, 0)
})

test('failures are non-zero: tampered, missing, wrong key, corrupted/empty bundle, key bundle as certificate, empty model, symlinks', opts, () => {
  const m = model('neg', {'signme-1': '1', 'signme-2': '2'})
  const pub = ['--method', 'key', '--public-key', d('prime256v1.pub')]
  assert.equal(sign(m, d('neg.sig'), '--method', 'key', '--private-key', d('prime256v1.pem')).code, 0)
  const copy = (name: string) => {
    cpSync(m, d(name), {recursive: true})
    return d(name)
  }
  const tampered = copy('tampered')
  writeFileSync(path.join(tampered, 'signme-1'), 'X')
  assert.equal(verify(tampered, d('neg.sig'), ...pub).code, 1)
  const missing = copy('missing')
  rmSync(path.join(missing, 'signme-2'))
  assert.equal(verify(missing, d('neg.sig'), ...pub).code, 1)
  assert.notEqual(verify(m, d('neg.sig'), '--method', 'key', '--public-key', d('secp384r1.pub')).code, 0)
  assert.notEqual(verify(m, d('neg.sig'), '--method', 'certificate', '--cert-chain', d('root.crt')).code, 0)
  const text = readFileSync(d('neg.sig'), 'utf8')
  writeFileSync(d('truncated.sig'), text.slice(0, text.length / 2))
  writeFileSync(d('empty.sig'), '')
  writeFileSync(d('mediatype.sig'), text.replace('application/vnd.dev.sigstore.bundle', 'application/x-other'))
  for (const b of ['truncated.sig', 'empty.sig', 'mediatype.sig']) assert.notEqual(verify(m, d(b), ...pub).code, 0, b)
  mkdirSync(d('empty-model'))
  assert.notEqual(sign(d('empty-model'), d('e.sig'), '--method', 'key', '--private-key', d('prime256v1.pem')).code, 0, 'empty model')
  const linked = copy('linked')
  symlinkSync(path.join(linked, 'signme-1'), path.join(linked, 'link'))
  assert.notEqual(sign(linked, d('l.sig'), '--method', 'key', '--private-key', d('prime256v1.pem')).code, 0, 'symlink refused by default')
  assert.equal(run('sign-model', '--method', 'key').code, 2)
  assert.equal(run('frobnicate').code, 2)
})

test('bundles written by released model_signing versions verify through the adapter', {skip: omsVectorsSkip}, () => {
  const tests = path.join(omsVectorsDir, 'model-transparency', 'scripts', 'tests')
  const keys = path.join(tests, 'keys', 'certificate')
  for (const v of ['v1.0.1', 'v1.1.0']) {
    const ign = ['--ignore-paths', path.join(tests, `${v}-elliptic-key`, 'ignore-me')]
    assert.equal(
      verify(
        path.join(tests, `${v}-elliptic-key`),
        path.join(tests, `${v}-elliptic-key`, 'model.sig'),
        '--method',
        'key',
        '--public-key',
        path.join(keys, 'signing-key-pub.pem'),
        ...ign,
      ).code,
      0,
      `${v} key`,
    )
    const cert = path.join(tests, `${v}-certificate`)
    const r = verify(
      cert,
      path.join(cert, 'model.sig'),
      '--method',
      'certificate',
      '--cert-chain',
      path.join(keys, 'ca-cert.pem'),
      '--ignore-paths',
      path.join(cert, 'ignore-me'),
    )
    // The reference project's certificates may have expired since; an expired chain must fail closed.
    if (r.code !== 0) assert.match(r.err, /expired|not valid/, `${v} certificate: ${r.err}`)
  }
})
