import {Args, Flags} from '@oclif/core'

import {mergeManifests} from '../../src/dataset/merge.js'
import type {DatasetHeader} from '../../src/dataset/types.js'
import {escapeName} from '../../src/util/escape.js'
import {ModelsealCommand} from '../_lib/base-command.js'

export default class DatasetMerge extends ModelsealCommand {
  static override summary = 'Combine partial manifests (--partition I/N) into the manifest of the whole dataset'
  static override description =
    `Checks that the partials belong together (every index 0..N-1 exactly once, the same dataset listing, algorithm and shard size), merges their entries in path order and writes the manifest a single run would have written — with exactly the same root. --json prints the merged header.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> part-0 part-1 part-2 part-3 --output ./data.manifest',
    '<%= config.bin %> <%= command.id %> parts/* --output ./data.manifest --json',
  ]
  static override strict = false
  static override args = {partials: Args.string({required: true, description: 'Partial manifest directories (or their manifest.json)'})}
  static override flags = {
    output: Flags.string({char: 'o', required: true, description: 'Directory to write the merged manifest into'}),
    force: Flags.boolean({default: false, description: 'Replace a manifest already in --output'}),
  }

  public async run(): Promise<DatasetHeader> {
    const {argv, flags} = await this.parse(DatasetMerge)
    const r = await mergeManifests(argv as string[], {output: flags.output, force: flags.force})
    this.log(`Wrote ${escapeName(r.headerPath)}: ${r.header.stats.files} files, ${r.header.stats.bytes} bytes from ${argv.length} partial manifests`)
    this.log(`  root (dsm1-root): ${r.header.root}`)
    return r.header
  }
}
