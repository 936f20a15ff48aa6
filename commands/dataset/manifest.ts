import {Args, Flags} from '@oclif/core'

import {createManifest, parsePartition} from '../../src/dataset/manifest.js'
import type {DatasetHeader} from '../../src/dataset/types.js'
import {escapeName} from '../../src/util/escape.js'
import {createProgress} from '../../src/util/progress.js'
import {ModelsealCommand} from '../_lib/base-command.js'

export default class DatasetManifest extends ModelsealCommand {
  static override summary = 'Hash a dataset (directory, tar, tar.gz or directory of tar shards) into a manifest'
  static override description =
    `Writes OUT/manifest.json (the header: counts, algorithm, shard digests and roots, and the dataset root that binds every path, size and digest) and OUT/shards/*.jsonl.gz (one line per file, sorted by path bytes). Tars are read as streams, never extracted; a directory and a tar of the same files give the same root. Unsafe entries (absolute or '..' paths, non-UTF-8 names, devices, FIFOs, duplicates, links) are refused. With --partition I/N only a deterministic slice is hashed; combine the partial manifests with "dataset merge". --json prints the header (the root under "root").`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./data --output ./data.manifest --name acme/claims --version 3.2.0',
    '<%= config.bin %> <%= command.id %> train.tar.gz --output ./train.manifest --hash blake3 --json',
    '<%= config.bin %> <%= command.id %> ./shards --output ./part-3 --partition 3/8',
  ]
  static override args = {path: Args.string({required: true, description: 'Dataset: a directory, a .tar/.tar.gz/.tgz, or a directory of tar shards'})}
  static override flags = {
    output: Flags.string({char: 'o', required: true, description: 'Directory to write manifest.json and shards/ into (must be empty, or use --force)'}),
    name: Flags.string({description: 'Dataset name (default: the base name of PATH)'}),
    version: Flags.string({description: 'Dataset version'}),
    hash: Flags.option({options: ['sha256', 'blake3'] as const, default: 'sha256' as const, description: 'File digest algorithm'})(),
    partition: Flags.string({description: 'Hash only partition I of N (0-based, e.g. 3/8) and write a partial manifest'}),
    'allow-links': Flags.boolean({
      default: false,
      description: 'Directories: follow symlinks to files inside the dataset; tars: skip link members instead of refusing them',
    }),
    format: Flags.option({
      options: ['auto', 'dir', 'tar', 'tar-shards'] as const,
      default: 'auto' as const,
      description: 'How to read PATH (auto: a file is a tar; a directory holding only *.tar/*.tar.gz/*.tgz files is tar shards)',
    })(),
    'shard-entries': Flags.integer({default: 65_536, description: 'Entries per manifest shard (a power of two)'}),
    workers: Flags.integer({min: 1, max: 64, description: 'Hash worker threads (default: one per core)'}),
    force: Flags.boolean({default: false, description: 'Replace a manifest already in --output'}),
  }

  public async run(): Promise<DatasetHeader> {
    const {args, flags} = await this.parse(DatasetManifest)
    const partition = flags.partition === undefined ? undefined : parsePartition(flags.partition)
    const r = await createManifest(args.path, {
      output: flags.output,
      name: flags.name,
      version: flags.version,
      algorithm: flags.hash,
      format: flags.format,
      allowLinks: flags['allow-links'],
      partition,
      shardEntries: flags['shard-entries'],
      force: flags.force,
      workers: flags.workers,
      progress: createProgress('hashing', {unit: 'files', enabled: this.jsonEnabled() ? false : undefined}),
    })
    const h = r.header
    const part = h.partition ? ` (partial manifest ${h.partition.index}/${h.partition.count}; combine with "dataset merge")` : ''
    this.log(`Wrote ${escapeName(r.headerPath)}${part}`)
    this.log(`  ${h.stats.files} files, ${h.stats.bytes} bytes, ${h.shards.length} shard(s), ${h.hash.file}`)
    this.log(`  root (dsm1-root): ${h.root}`)
    if (r.skipped.length > 0)
      process.stderr.write(
        `modelseal: WARNING: ${r.skipped.length} link member(s) skipped (--allow-links), not in the manifest: ${r.skipped.slice(0, 10).map(escapeName).join(', ')}${r.skipped.length > 10 ? ', ...' : ''}\n`,
      )
    return h
  }
}
