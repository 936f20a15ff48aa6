import {Args, Flags} from '@oclif/core'

import {datasetUri, signManifest} from '../../src/dataset/statement.js'
import {DATASET_PREDICATE_TYPE} from '../../src/dataset/types.js'
import {escapeName} from '../../src/util/escape.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {datasetSignerFlags, datasetSignerSpec} from '../_lib/dataset-flags.js'

export interface DatasetSignReport {
  signature: string
  method: 'key' | 'certificate' | 'sigstore'
  dataset: {name: string; version?: string}
  uri: string
  root: string
  files: number
  bytes: number
  predicateType: string
}

export default class DatasetSign extends ModelsealCommand {
  static override summary = 'Sign a dataset manifest (in-toto statement, Sigstore bundle) with a key, a certificate or keylessly'
  static override description =
    `Checks the manifest's shards against its header, then signs an in-toto Statement whose subject is the dataset root (digest key "dsm1-root") and whose predicate (${DATASET_PREDICATE_TYPE}) is the header. Uses the same signing module as model signatures. The bundle goes to MANIFEST/manifest.sigstore.json unless --signature says otherwise.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./data.manifest --private-key signing-key.pem',
    '<%= config.bin %> <%= command.id %> ./data.manifest --private-key key.pem --signing-certificate leaf.pem --certificate-chain ca.pem',
    '<%= config.bin %> <%= command.id %> ./data.manifest --sigstore --signature data.sigstore.json',
  ]
  static override args = {manifest: Args.string({required: true, description: 'Manifest directory (or its manifest.json)'})}
  static override flags = {
    ...datasetSignerFlags,
    signature: Flags.string({description: 'Where to write the bundle (default: manifest.sigstore.json in the manifest directory)'}),
  }

  public async run(): Promise<DatasetSignReport> {
    const {args, flags} = await this.parse(DatasetSign)
    const spec = await datasetSignerSpec(flags)
    const r = await signManifest(args.manifest, spec, flags.signature)
    const h = r.header
    this.log(`Signed dataset ${escapeName(datasetUri(h))} (${h.stats.files} files, root ${h.root}) with the ${spec.method} method`)
    this.log(`  signature: ${escapeName(r.signaturePath)}`)
    return {
      signature: r.signaturePath,
      method: spec.method,
      dataset: h.dataset,
      uri: datasetUri(h),
      root: h.root,
      files: h.stats.files,
      bytes: h.stats.bytes,
      predicateType: DATASET_PREDICATE_TYPE,
    }
  }
}
