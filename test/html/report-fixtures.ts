/**
 * Builds the HTML reports the report tests look at: real scans of the backdoored fixtures, a scan
 * of a model whose every string is hostile, an audit of a signed model, a policy denial, and audit
 * and decision pages whose identities and reasons are hostile.
 */
import {copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import onnxProto from 'onnx-proto'

import {auditHtml} from '../../src/audit/render-html.js'
import type {AuditReport} from '../../src/audit/collect.js'
import {decisionHtml} from '../../src/policy/report-html.js'
import type {PolicyDecision} from '../../src/policy/types.js'
import {repoRoot, runCli} from '../helpers/cli.js'
import {makeKey, policyYaml, signModelWith, writePolicy} from '../policy/fixtures.js'

/** Runs when a script escapes escaping; the tests check that it never did. */
export const CANARY = 'window.__modelsealCanary=1;document.title="PWNED"'
export const HOSTILE = [
  `<script>${CANARY}</script>`,
  `"><img src=x onerror='${CANARY}'>`,
  `javascript:${CANARY}`,
  `'><svg onload="${CANARY}"></svg>`,
  `</title></style><script>${CANARY}</script>`,
  '\u202egnp.exe\u202c reversed by a bidi override',
  `<a href="javascript:${CANARY}">click</a>`,
]
export const HUGE = 'A'.repeat(1_000_000)

export interface BuiltReports {
  scan: string
  demoScan: string
  hostileScan: string
  audit: string
  policyDeny: string
  hostileAudit: string
  hostileDecision: string
}

/** A copy of a backdoored fixture with every node name, doc string and the file name hostile. */
export function hostileModel(dir: string): string {
  const {onnx} = onnxProto
  const m = onnx.ModelProto.decode(readFileSync(path.join(repoRoot, 'testdata', 'onnx', 'backdoor_where.onnx')))
  const g = m.graph!
  g.node!.forEach((n, i) => {
    n.name = i === 0 ? HUGE : HOSTILE[i % HOSTILE.length]
    n.docString = HOSTILE[(i + 1) % HOSTILE.length]
  })
  g.docString = HOSTILE.join(' ')
  m.producerName = HOSTILE[0]
  const file = path.join(dir, `"><img src=x onerror=alert(1)> <script>x.onnx`)
  writeFileSync(file, onnx.ModelProto.encode(m).finish())
  return file
}

function hostileAuditReport(): AuditReport {
  return {
    reportVersion: '1',
    generatedAt: '2026-12-01T00:00:00Z',
    model: {path: HOSTILE[1], rootDigest: 'ab'.repeat(32), files: 2, totalBytes: 10, excludedEvidence: [HOSTILE[2]]},
    signatures: [
      {
        source: HOSTILE[0],
        status: 'verified',
        signer: {method: 'sigstore', identity: HOSTILE[2], issuer: HOSTILE[3], sourceRepository: HOSTILE[6], tlog: [{logIndex: HOSTILE[4]}]},
        resources: [{name: HOSTILE[5], algorithm: 'sha256', digest: 'cd'.repeat(32)}],
        rootDigest: 'ab'.repeat(32),
        content: {matches: false, changed: [HOSTILE[5]], missing: [HUGE], notCovered: [HOSTILE[1]], ignoredBySigner: [HOSTILE[1]]},
      },
    ],
    attestations: [
      {
        source: HOSTILE[4],
        status: 'read',
        note: HOSTILE[0],
        predicateType: HOSTILE[6],
        aboutThisModel: false,
        subject: [{sha256: HOSTILE[1]}],
        says: {x: HOSTILE[0], big: HUGE},
      },
    ],
    facts: HOSTILE.map((fact) => ({fact, status: 'read' as const})),
  }
}

function hostileDecision(): PolicyDecision {
  return {
    decisionVersion: '1',
    decision: 'deny',
    policy: {name: HOSTILE[0], version: HOSTILE[1], mode: 'enforce', path: HOSTILE[2], sha256: '0'.repeat(64), expires: '2027-01-01T00:00:00Z'},
    model: {path: HOSTILE[5], digest: null, excludedEvidence: [HOSTILE[0]]},
    evaluatedAt: '2026-12-01T00:00:00Z',
    requirements: HOSTILE.map((h, i) => ({
      id: h,
      type: 'signature',
      result: i % 2 ? 'fail' : 'waived',
      reason: i === 0 ? HUGE : h,
      code: h,
      outcome: 'fail',
      mode: 'enforce',
      ...(i % 2 ? {} : {waiver: {id: h, expires: h, approvedBy: [h], justification: h}}),
    })) as unknown as PolicyDecision['requirements'],
    summary: {total: HOSTILE.length, pass: 0, fail: 4, warn: 0, waived: 3, error: 0},
    evidenceProblems: [{source: HOSTILE[3], problem: HOSTILE[4]}],
  }
}

async function cli(args: string[]): Promise<void> {
  const r = await runCli(args, {timeoutMs: 240_000})
  // scan exits 1 on findings and policy check 1 on deny: both still write the report.
  if (r.code !== 0 && r.code !== 1) throw new Error(`modelseal ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
}

export async function buildReports(dir: string): Promise<BuiltReports> {
  mkdirSync(dir, {recursive: true})
  const onnxDir = path.join(repoRoot, 'testdata', 'onnx')
  const out: BuiltReports = {
    scan: path.join(dir, 'scan.html'),
    demoScan: path.join(dir, 'demo-scan.html'),
    hostileScan: path.join(dir, 'hostile-scan.html'),
    audit: path.join(dir, 'audit.html'),
    policyDeny: path.join(dir, 'policy-deny.html'),
    hostileAudit: path.join(dir, 'hostile-audit.html'),
    hostileDecision: path.join(dir, 'hostile-decision.html'),
  }
  const backdoors = ['backdoor_where.onnx', 'backdoor_add.onnx', 'backdoor_if.onnx', 'clean_cnn.onnx'].map((f) => path.join(onnxDir, f))
  await cli(['scan', ...backdoors, '--format', 'html', '--output', out.scan])
  const hostileDir = path.join(dir, 'hostile')
  mkdirSync(hostileDir, {recursive: true})
  await cli(['scan', hostileModel(hostileDir), '--format', 'html', '--output', out.hostileScan])

  const keys = path.join(dir, 'keys')
  const alice = makeKey(keys, 'alice')
  const bob = makeKey(keys, 'bob')
  // The demo model (what `npm run demo` signs), plus an ONNX graph, signed by alice.
  const model = path.join(dir, 'model')
  cpSync(path.join(repoRoot, 'testdata', 'demo-model'), model, {recursive: true})
  copyFileSync(path.join(onnxDir, 'clean_cnn.onnx'), path.join(model, 'model.onnx'))
  await cli(['scan', model, '--format', 'html', '--output', out.demoScan])
  const {sig} = await signModelWith(model, alice, path.join(dir, 'alice.sig'))
  await cli(['audit', model, '--signature', sig, '--public-key', alice.pub, '--format', 'html', '--output', out.audit])
  const policy = writePolicy(
    dir,
    policyYaml({
      identities: `      alice: {key: {path: ${alice.pub}}}\n      bob: {key: {path: ${bob.pub}}}`,
      requirements: `    - id: release-signed\n      type: signature\n      signedBy: {anyOf: [bob]}\n    - id: integrity\n      type: integrity\n      allowedAlgorithms: [sha256]`,
    }),
  )
  await cli(['policy', 'check', model, '--policy', policy, '--signature', sig, '--at', '2026-12-01T00:00:00Z', '--format', 'html', '--output', out.policyDeny])

  writeFileSync(out.hostileAudit, auditHtml(hostileAuditReport(), HOSTILE[0]))
  writeFileSync(out.hostileDecision, decisionHtml(hostileDecision(), HOSTILE[0]))
  return out
}
