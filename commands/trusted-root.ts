import {Flags} from '@oclif/core'
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {writeAtomically} from '../src/io/index.js'
import {loadTrustedRoot, type TrustSource} from '../src/signing/keyless/trust-root.js'
import {ModelsealCommand} from './_lib/base-command.js'

/** `trusted-root --json` shape. */
export interface TrustedRootReport {
  output: string
  source: TrustSource
  origin: string
}

export default class TrustedRoot extends ModelsealCommand {
  static override summary = 'Write the Sigstore public-good trusted root (trusted_root.json) for air-gapped verification and policies'
  static override description =
    `Refreshes the public-good trusted root over TUF (verified against the TUF root shipped with modelseal) and writes it, e.g. to the spec.trust.trustedRoot path of a policy. With --offline nothing is fetched: the root shipped with modelseal, or a newer one cached by an earlier refresh, is written.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --output trust/trusted_root.json',
    '<%= config.bin %> <%= command.id %> --offline --output trust/trusted_root.json',
  ]
  static override flags = {
    output: Flags.string({required: true, description: 'Where to write trusted_root.json (parent directories are created)'}),
    offline: Flags.boolean({default: false, description: 'No network: the shipped root, or a newer cached one'}),
  }

  public async run(): Promise<TrustedRootReport> {
    const {flags} = await this.parse(TrustedRoot)
    const loaded = await loadTrustedRoot({offline: flags.offline})
    const {TrustedRoot: TrustedRootCodec} = await import('@sigstore/protobuf-specs')
    const json = `${JSON.stringify(TrustedRootCodec.toJSON(loaded.root), null, 2)}\n`
    const output = path.resolve(flags.output)
    mkdirSync(path.dirname(output), {recursive: true})
    writeAtomically(output, json)
    if (!this.jsonEnabled()) this.log(`Wrote the Sigstore trusted root (${loaded.source}: ${loaded.origin}) to ${output}`)
    return {output, source: loaded.source, origin: loaded.origin}
  }
}
