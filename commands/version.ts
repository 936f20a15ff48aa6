import {ModelsealCommand} from './_lib/base-command.js'

/** `--json` shape of `modelseal version`. */
export interface VersionReport {
  name: string
  version: string
  node: string
  platform: string
  arch: string
}

export default class Version extends ModelsealCommand {
  static override summary = 'Print the modelseal version (same as --version)'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']

  public async run(): Promise<VersionReport> {
    await this.parse(Version)
    if (!this.jsonEnabled()) this.log(this.config.userAgent)
    return {name: this.config.name, version: this.config.version, node: process.version, platform: process.platform, arch: process.arch}
  }
}
