/**
 * model_signing scripts run unchanged: underscore flag spellings, repeatable flags before
 * MODEL_PATH, self-signed leaf certificates as trust anchors; usage errors that keep their
 * reason and suggest the command meant; -h, `version` and shell completion.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, test} from 'node:test'

import {parseJson, repoRoot, runCli, tempDir} from '../helpers/cli.js'

const tmp = tempDir('modelseal-dropin-')
const d = tmp.dir
const model = path.join(d, 'm')
const hasOpenssl = spawnSync('openssl', ['version']).status === 0

before(async () => {
  mkdirSync(path.join(model, 'cache'), {recursive: true})
  writeFileSync(path.join(model, 'weights.bin'), 'weights')
  writeFileSync(path.join(model, 'config.json'), '{}')
  writeFileSync(path.join(model, 'cache', 'tmp'), 'scratch')
  const r = await runCli(['keys', 'generate', '--private-key', 'k.pem', '--public-key', 'k.pub'], {cwd: d})
  assert.equal(r.code, 0, r.stderr)
})
after(() => tmp.cleanup())

test("model_signing's own command lines: underscore flags, repeatable flags before MODEL_PATH", async () => {
  let r = await runCli(['sign', 'key', '--private_key', 'k.pem', '--signature', 'm/model.sig', '--ignore-paths', 'm/cache', 'm'], {cwd: d})
  assert.equal(r.code, 0, r.stderr)
  r = await runCli(['verify', 'key', '--signature', 'm/model.sig', '--public_key', 'k.pub', '--ignore-paths', 'm/cache', 'm', '--json'], {cwd: d})
  assert.equal(r.code, 0, r.stderr)
  assert.equal(parseJson(r).resources, 2)
  writeFileSync(path.join(model, 'extra.txt'), 'unsigned')
  r = await runCli(['verify', 'key', '--signature', 'm/model.sig', '--public_key', 'k.pub', '--ignore-paths', 'm/cache', '--no-ignore_unsigned_files', 'm'], {
    cwd: d,
  })
  assert.equal(r.code, 1, 'an unsigned file fails without --ignore_unsigned_files')
  r = await runCli(['verify', 'key', '--signature', 'm/model.sig', '--public_key', 'k.pub', '--ignore_unsigned_files', '--ignore-paths', 'm/cache', 'm'], {
    cwd: d,
  })
  assert.equal(r.code, 0, r.stderr)
  r = await runCli(['verify', 'key', '--help'])
  assert.doesNotMatch(r.stdout, /public_key|ignore_unsigned/, 'aliases stay out of --help')
})

test('a self-signed leaf given as the trust anchor verifies; another self-signed certificate does not', {
  skip: !hasOpenssl && 'openssl not installed',
}, async () => {
  const mk = (name: string) =>
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '30',
        '-subj',
        '/CN=self-signed',
        '-addext',
        'keyUsage=digitalSignature',
      ],
      {cwd: d, stdio: 'ignore'},
    )
  mk('leaf')
  mk('other')
  let r = await runCli(['sign', 'certificate', '--private_key', 'leaf.key', '--signing_certificate', 'leaf.pem', '--signature', 'cert.sig', 'm'], {cwd: d})
  assert.equal(r.code, 0, r.stderr)
  r = await runCli(['verify', 'certificate', '--signature', 'cert.sig', '--certificate_chain', 'leaf.pem', 'm'], {cwd: d})
  assert.equal(r.code, 0, r.stderr)
  r = await runCli(['verify', 'certificate', '--signature', 'cert.sig', '--certificate-chain', 'other.pem', 'm'], {cwd: d})
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /does not lead to a trusted certificate/)
})

test('usage errors say why, in one line, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['verify', 'key'], /Missing 1 required arg: model_path \(Model directory/],
    [
      ['sign', 'key', 'm', '--private-key', 'k.pem', '--method', 'shards', '--shard-size', 'abc'],
      /Parsing --shard-size: Expected an integer but received: abc/,
    ],
    [
      ['verify', 'sigstore', 'm', '--signature', 's', '--identity', 'a', '--identity-regexp', 'b', '--identity-provider', 'x'],
      /--identity cannot also be provided when using --identity-regexp/,
    ],
  ]
  for (const [args, re] of cases) {
    const r = await runCli(args, {cwd: d})
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, re)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.doesNotMatch(r.stderr, /The following error occurred|See more help/)
    const j = await runCli([...args, '--json'], {cwd: d})
    assert.equal(j.code, 2)
    assert.match(parseJson(j).error.message, re)
  }
})

test('a mistyped command or method: "did you mean", also under --json', async () => {
  let r = await runCli(['verfy', 'm'], {cwd: d})
  assert.equal(r.code, 2)
  assert.match(r.stderr, /did you mean "verify"\?/)
  r = await runCli(['verify', 'certificat', 'm2'], {cwd: d})
  assert.equal(r.code, 2)
  assert.match(r.stderr, /did you mean "verify certificate"\?/)
  r = await runCli(['sign', 'kye', 'm', '--json'], {cwd: d})
  assert.equal(r.code, 2)
  assert.match(parseJson(r).error.message, /did you mean "sign key"\?/)
  r = await runCli(['verfy', '--json'], {cwd: d})
  assert.equal(parseJson(r).error.code, 'E_UNKNOWN_COMMAND')
  // A model directory that happens to look like a method name is still a model.
  mkdirSync(path.join(d, 'keys'), {recursive: true})
  r = await runCli(['verify', 'kye', '--signature', 's', '--identity', 'a', '--identity-provider', 'b'], {cwd: d})
  assert.match(r.stderr, /did you mean "verify key"/)
})

test('-h, version and --version', async () => {
  const h = await runCli(['-h'])
  assert.equal(h.code, 0)
  assert.match(h.stdout, /USAGE/)
  const sh = await runCli(['verify', 'key', '-h'])
  assert.equal(sh.code, 0)
  assert.match(sh.stdout, /--public-key/)
  const v = await runCli(['version'])
  const vv = await runCli(['--version'])
  assert.equal(v.code, 0)
  assert.equal(v.stdout, vv.stdout)
  const j = parseJson(await runCli(['version', '--json']))
  assert.match(j.version, /^\d+\.\d+\.\d+/)
})

test('shell completion: bash completes commands, methods, flags and option values; fish and zsh scripts are generated', async () => {
  const bash = await runCli(['completion', 'bash'])
  assert.equal(bash.code, 0, bash.stderr)
  const script = path.join(d, 'c.bash')
  writeFileSync(script, bash.stdout)
  const complete = (words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source "$0"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _modelseal_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        script,
      ],
      {cwd: d, encoding: 'utf8'},
    )
      .split('\n')
      .filter(Boolean)
  assert.deepEqual(complete(['modelseal', 'veri']), ['verify'])
  assert.ok(complete(['modelseal', 'verify', 'k']).includes('key'))
  assert.deepEqual(complete(['modelseal', 'verify', 'key', '--public-']), ['--public-key'])
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8'))
  const formats = [...manifest.commands.scan.flags.format.options].sort()
  assert.ok(formats.includes('sarif'))
  assert.deepEqual(complete(['modelseal', 'scan', '--format', '']).sort(), formats)
  const fish = await runCli(['completion', 'fish'])
  assert.match(fish.stdout, /complete -c modelseal -n '__fish_seen_subcommand_from verify; and __fish_seen_subcommand_from key' -l public-key -r -F/)
  const zsh = await runCli(['completion', 'zsh'])
  assert.match(zsh.stdout, /^#compdef modelseal\n/)
  const bad = await runCli(['completion', 'tcsh'])
  assert.equal(bad.code, 2)
})

test('verify sigstore on a certificate- or key-signed bundle names the method to use (exit 1)', {skip: !hasOpenssl && 'openssl not installed'}, async () => {
  let r = await runCli(['verify', 'sigstore', 'm', '--signature', 'cert.sig', '--identity', 'a', '--identity-provider', 'b'], {cwd: d})
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /signed with a certificate, not keylessly: use `verify certificate`/)
  r = await runCli(['verify', 'sigstore', 'm', '--signature', 'm/model.sig', '--identity', 'a', '--identity-provider', 'b', '--json'], {cwd: d})
  assert.equal(r.code, 1)
  assert.match(JSON.stringify(parseJson(r)), /use `verify key`/)
})

test('--shard-size with --method files is a usage error (E_BAD_SHARD_SIZE), not ignored', async () => {
  const r = await runCli(['digest', 'm', '--shard-size', '100'], {cwd: d})
  assert.equal(r.code, 2)
  assert.match(r.stderr, /E_BAD_SHARD_SIZE/)
  const ok = await runCli(['digest', 'm', '--method', 'shards', '--shard-size', '100'], {cwd: d})
  assert.equal(ok.code, 0, ok.stderr)
})
