/**
 * Fixtures for the policy tests, made by the tests themselves: EC keys (node:crypto), small
 * models signed through the library, attestations and dataset manifests signed through the one
 * signing module, and policy YAML written per case.
 */
import {generateKeyPairSync} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {buildStatement, statementBytes} from '../../src/attest/statement.js'
import {buildScanStatement} from '../../src/attest/scan-predicate.js'
import {createManifest} from '../../src/dataset/manifest.js'
import {signManifest} from '../../src/dataset/statement.js'
import {signModel} from '../../src/oms/sign.js'
import {serializeBundle, signPayload} from '../../src/signing/index.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../../src/signing/dsse.js'
import type {SignerSpec} from '../../src/signing/types.js'
import type {Finding, ScanReport, Severity} from '../../src/scan/types.js'
import {parseJson, runCli, type CliResult} from '../helpers/cli.js'

export interface KeyPair {
  name: string
  priv: string
  pub: string
}

export function makeKey(dir: string, name: string, curve: 'P-256' | 'P-384' = 'P-256'): KeyPair {
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: curve})
  mkdirSync(dir, {recursive: true})
  const priv = path.join(dir, `${name}.pem`)
  const pub = path.join(dir, `${name}.pub`)
  writeFileSync(priv, privateKey.export({type: 'pkcs8', format: 'pem'}))
  writeFileSync(pub, publicKey.export({type: 'spki', format: 'pem'}))
  return {name, priv, pub}
}

export function keySigner(k: KeyPair): SignerSpec {
  return {method: 'key', privateKeyPath: k.priv}
}

export function makeModel(dir: string, files: Record<string, string | Buffer> = {'weights.bin': 'w'.repeat(1000), 'config.json': '{"layers": 2}\n'}): string {
  mkdirSync(dir, {recursive: true})
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), content)
  }
  return dir
}

export async function signModelWith(
  model: string,
  k: KeyPair,
  out: string,
  opts: {hashType?: 'sha256' | 'blake2b'} = {},
): Promise<{sig: string; rootDigest: string}> {
  const r = await signModel(model, {signer: keySigner(k), signaturePath: out, hashType: opts.hashType})
  return {sig: r.signaturePath, rootDigest: r.manifest.rootDigest}
}

export async function signStatementFile(st: ReturnType<typeof buildStatement>, signer: SignerSpec, out: string): Promise<string> {
  const bundle = await signPayload(statementBytes(st), IN_TOTO_PAYLOAD_TYPE, signer)
  writeFileSync(out, serializeBundle(bundle))
  return out
}

export function finding(severity: Severity, category: Finding['category'] = 'graph-backdoor', id = 'MS-GB001'): Finding {
  return {id, category, severity, title: 'test finding', message: 'made by the test', location: {node: 'Where_0'}}
}

/** A scan report over `paths` (model-relative): the findings on the first file. */
export function scanReport(findings: Finding[], status: 'scanned' | 'error' = 'scanned', paths: string[] = ['weights.bin']): ScanReport {
  const counts = {info: 0, low: 0, medium: 0, high: 0, critical: 0}
  for (const f of findings) counts[f.severity]++
  return {
    tool: {name: 'modelseal', version: '0.1.0'},
    files: paths.map((p, i) => ({path: p, format: 'unknown', status, findings: i === 0 ? findings : []})),
    summary: {
      files: paths.length,
      scanned: status === 'scanned' ? paths.length : 0,
      errors: status === 'error' ? paths.length : 0,
      unsupported: 0,
      findings: counts,
      maxSeverity: findings[0]?.severity ?? null,
      failOn: 'high',
      failed: false,
    },
  }
}

/** A signed scan attestation about `rootDigest` (files/sha256), scanned at `scannedAt`. */
export async function scanAttestation(rootDigest: string, report: ScanReport, signer: SignerSpec, out: string, scannedAt: Date): Promise<string> {
  const st = buildScanStatement({
    modelName: 'model',
    rootDigest,
    serialization: {method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: ['.git', '.gitattributes', '.github', '.gitignore']},
    report,
    scannedAt,
  })
  return signStatementFile(st, signer, out)
}

/** SLSA provenance about the model naming training datasets by dsm1-root. */
export async function provenance(rootDigest: string, roots: string[], signer: SignerSpec, out: string): Promise<string> {
  const st = buildStatement([{name: 'model', digest: {sha256: rootDigest}}], 'https://slsa.dev/provenance/v1', {
    buildDefinition: {
      buildType: 'https://acme.example/train/v1',
      externalParameters: {},
      resolvedDependencies: roots.map((r, i) => ({uri: `dataset://acme/train-${i}@1`, digest: {'dsm1-root': r}})),
    },
    runDetails: {builder: {id: 'https://acme.example/trainer'}},
  })
  return signStatementFile(st, signer, out)
}

/** A dataset manifest (optionally signed) of a few files; returns its directory and root. */
export async function dataset(dir: string, name: string, signer?: SignerSpec): Promise<{manifest: string; root: string}> {
  const data = path.join(dir, `${name}-data`)
  makeModel(data, {'a.txt': `${name} a\n`, 'b/c.txt': `${name} c\n`})
  const manifest = path.join(dir, `${name}-manifest`)
  let root: string
  try {
    root = (await createManifest(data, {output: manifest, name, version: '1', created: new Date('2026-11-01T00:00:00Z')})).header.root
  } catch (err) {
    // From sources, the dataset hash workers may not load TypeScript: make it through the CLI.
    if ((err as {code?: string}).code !== 'E_WORKER') throw err
    const r = await runCli(['dataset', 'manifest', data, '--output', manifest, '--name', name, '--version', '1', '--force', '--json'], {
      env: {SOURCE_DATE_EPOCH: '1790812800'},
      timeoutMs: 240_000,
    })
    if (r.code !== 0) throw new Error(`dataset manifest failed: ${r.stderr}`)
    root = parseJson(r).root
  }
  if (signer) await signManifest(manifest, signer)
  return {manifest, root}
}

export function writePolicy(dir: string, body: string, name = 'policy.yaml'): string {
  const p = path.join(dir, name)
  writeFileSync(p, body)
  return p
}

/** Policy YAML head with the given identities block (already indented by 6 spaces). */
export function policyYaml(opts: {identities: string; requirements: string; waivers?: string; mode?: string; expires?: string; extra?: string}): string {
  return `apiVersion: modelseal.dev/v1alpha1
kind: ModelPolicy
metadata:
  name: test-policy
  version: 1.0.0
spec:
  mode: ${opts.mode ?? 'enforce'}
  expires: ${opts.expires ?? '2027-06-30T00:00:00Z'}
  trust:
${opts.extra ?? ''}    identities:
${opts.identities}
  requirements:
${opts.requirements}
${opts.waivers ? `  waivers:\n${opts.waivers}` : ''}`
}

export const AT = '2026-12-01T00:00:00Z'

export async function check(model: string, policy: string, args: string[] = [], at = AT): Promise<{r: CliResult; d: any}> {
  const r = await runCli(['policy', 'check', model, '--policy', policy, '--at', at, '--format', 'json', ...args], {timeoutMs: 240_000})
  let d: any
  try {
    d = JSON.parse(r.stdout)
  } catch {
    d = undefined
  }
  return {r, d}
}

export function req(d: any, id: string): any {
  const x = d?.requirements?.find((q: any) => q.id === id)
  if (!x) throw new Error(`no requirement ${id} in ${JSON.stringify(d)}`)
  return x
}

export {parseJson}
