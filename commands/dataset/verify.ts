import {Args, Flags} from '@oclif/core'

import {UsageError} from '../../src/errors.js'
import {verifyDataset, type DatasetVerifyReport} from '../../src/dataset/verify.js'
import {escapeName} from '../../src/util/escape.js'
import {createProgress} from '../../src/util/progress.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {datasetVerifierFlags, datasetVerifierSpec} from '../_lib/dataset-flags.js'

export default class DatasetVerify extends ModelsealCommand {
  static override summary = 'Verify a dataset against a signed manifest: signature, shards, then every file (or a sample)'
  static override description =
    `Verifies the signature over the manifest header (--public-key, --certificate-chain or keyless --identity/--identity-provider with optional certificate-extension checks; --unsigned checks integrity only and says so), every shard against the header, and then the files of PATH against the entries. Modes: full (default: every file, and files not in the manifest), metadata (signature and shards only, PATH not read), --paths GLOB and --sample RATE --seed S (reported as partial, so a policy can insist on full). Lists added, removed, modified and renamed files (bounded by --max-list; counts are exact). Exit 0 when everything checked matches, 1 when something differs or the signature fails, 3 for unreadable or malformed input.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./data --manifest ./data.manifest --public-key signing-key.pub',
    '<%= config.bin %> <%= command.id %> train.tar.gz --manifest ./train.manifest --public-key key.pub --sample 0.01 --seed 42',
    '<%= config.bin %> <%= command.id %> --manifest ./data.manifest --public-key key.pub --mode metadata',
    '<%= config.bin %> <%= command.id %> ./data --manifest ./data.manifest --unsigned --paths "images/**" --json',
  ]
  static override args = {
    path: Args.string({required: false, description: 'The dataset (directory, tar, tar.gz or directory of tar shards); not needed with --mode metadata'}),
  }
  static override flags = {
    manifest: Flags.string({char: 'm', required: true, description: 'Manifest directory (or its manifest.json)'}),
    signature: Flags.string({description: 'Signature bundle (default: manifest.sigstore.json in the manifest directory)'}),
    ...datasetVerifierFlags,
    unsigned: Flags.boolean({default: false, description: 'No signature: check integrity against the manifest only (NOT an authenticity check)'}),
    mode: Flags.option({
      options: ['full', 'metadata'] as const,
      default: 'full' as const,
      description: 'full: hash the files; metadata: signature and shards only',
    })(),
    paths: Flags.string({multiple: true, description: 'Check only files matching this glob (repeatable); reported as partial'}),
    sample: Flags.string({description: 'Check a deterministic random sample of this fraction of files (e.g. 0.01); reported as partial'}),
    seed: Flags.string({description: 'Seed of --sample (required with it; the same seed picks the same files)'}),
    format: Flags.option({
      options: ['auto', 'dir', 'tar', 'tar-shards'] as const,
      default: 'auto' as const,
      description: 'How to read PATH (auto: as recorded in the manifest)',
    })(),
    'allow-links': Flags.boolean({default: false, description: 'As for dataset manifest: follow symlinks inside a directory, skip link members in tars'}),
    'max-list': Flags.integer({min: 0, max: 100_000, default: 100, description: 'Files listed per kind of change (counts are always exact)'}),
    workers: Flags.integer({min: 1, max: 64, description: 'Hash worker threads (default: one per core)'}),
    'allow-empty-selection': Flags.boolean({
      default: false,
      description: 'With --paths/--sample: a selection that matches no file is not a failure (by default checking nothing fails, exit 1)',
    }),
  }

  public async run(): Promise<DatasetVerifyReport> {
    const {args, flags} = await this.parse(DatasetVerify)
    const verifier = datasetVerifierSpec(flags)
    let sample: {rate: number; seed: string} | undefined
    if (flags.sample !== undefined || flags.seed !== undefined) {
      if (flags.sample === undefined || flags.seed === undefined) throw new UsageError('E_USAGE', '--sample and --seed go together')
      const rate = Number(flags.sample)
      if (!/^(0(\.\d+)?|1(\.0*)?|\.\d+)$/.test(flags.sample) || !(rate > 0))
        throw new UsageError('E_DATASET_BAD_SAMPLE', `--sample must be a rate in (0, 1] (got "${flags.sample}")`)
      sample = {rate, seed: flags.seed}
    }
    if (!verifier)
      process.stderr.write(
        'modelseal: WARNING: --unsigned: the manifest is NOT signature-checked; this verifies integrity against an unauthenticated manifest only\n',
      )
    const r = await verifyDataset(args.path, {
      manifest: flags.manifest,
      signature: flags.signature,
      verifier,
      mode: flags.mode,
      paths: flags.paths,
      sample,
      format: flags.format,
      allowLinks: flags['allow-links'],
      listLimit: flags['max-list'],
      workers: flags.workers,
      allowEmptySelection: flags['allow-empty-selection'],
      progress: createProgress('verifying', {unit: 'files', enabled: this.jsonEnabled() ? false : undefined}),
    })
    this.printReport(r)
    if (!r.ok) this.setExitCode(1)
    return r
  }

  private printReport(r: DatasetVerifyReport): void {
    // Every name is escaped: a path holding a newline must not print a forged result line.
    const q = escapeName
    const sig = r.signature.status === 'verified' ? `signature verified (${r.signature.signer?.method})` : 'UNSIGNED (integrity only, authenticity NOT checked)'
    this.log(`${r.result.toUpperCase()}: dataset ${q(r.uri)} root ${r.root}`)
    this.log(`  ${sig}; shards ${r.manifest.shardsChecked ? `checked (${r.manifest.shards})` : 'FAILED'}; mode ${r.mode}, coverage ${r.coverage}`)
    for (const p of r.manifest.problems) this.log(`  manifest: ${q(p)}`)
    for (const f of r.failures ?? []) this.log(`  failed: ${q(f)}`)
    if (r.checked) this.log(`  files: ${r.checked.matched} matched of ${r.checked.expected} expected (${r.checked.actual} found)`)
    if (r.selection?.sample) this.log(`  sample: rate ${r.selection.sample.rate}, seed ${q(JSON.stringify(r.selection.sample.seed))} — partial check`)
    if (r.selection?.paths) this.log(`  paths: ${r.selection.paths.map(q).join(', ')} — partial check`)
    if (r.skippedLinks?.length) {
      process.stderr.write(
        `modelseal: WARNING: ${r.skippedLinks.length} link member${r.skippedLinks.length === 1 ? '' : 's'} skipped (--allow-links), not verified: ${r.skippedLinks.slice(0, 10).map(q).join(', ')}${r.skippedLinks.length > 10 ? ', ...' : ''}\n`,
      )
    }
    const c = r.changes
    if (!c) return
    const more = (shown: number, count: number) => (count > shown ? `  ... and ${count - shown} more` : undefined)
    const section = (label: string, count: number, lines: string[]) => {
      if (count === 0) return
      this.log(`  ${label}: ${count}`)
      for (const l of lines) this.log(`    ${l}`)
      const m = more(lines.length, count)
      if (m) this.log(`  ${m}`)
    }
    section('added', c.added.count, c.added.paths.map(q))
    section('removed', c.removed.count, c.removed.paths.map(q))
    section(
      'modified',
      c.modified.count,
      c.modified.items.map((i) => `${q(i.path)} (${i.reason === 'size' ? `size ${i.expected.size} → ${i.actual.size}` : 'content differs'})`),
    )
    section(
      'renamed',
      c.renamed.count,
      c.renamed.items.map((i) => `${q(i.from)} → ${q(i.to)}`),
    )
  }
}
