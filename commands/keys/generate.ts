import {Flags} from '@oclif/core'

import {writeKeyPair, type KeyPairReport} from '../../src/signing/keygen.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {passwordFlag} from '../_lib/flags.js'

export default class KeysGenerate extends ModelsealCommand {
  static override summary = 'Generate an EC key pair for "sign key" / "verify key"'
  static override description =
    `Writes a PKCS#8 private key (mode 0600; AES-256-CBC encrypted with --password) and its SPKI public key, both PEM, readable by model_signing too. Existing files are never overwritten unless --force is given.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --private-key signing-key.pem --public-key signing-key.pub',
    '<%= config.bin %> <%= command.id %> --private-key k.pem --public-key k.pub --curve p384 --password "$PW"',
  ]
  static override flags = {
    'private-key': Flags.string({required: true, description: 'Where to write the private key (PEM)'}),
    'public-key': Flags.string({required: true, description: 'Where to write the public key (PEM)'}),
    curve: Flags.option({options: ['p256', 'p384', 'p521'] as const, default: 'p256' as const, description: 'Elliptic curve'})(),
    password: passwordFlag,
    force: Flags.boolean({default: false, description: 'Overwrite existing key files'}),
  }

  public async run(): Promise<KeyPairReport> {
    const {flags} = await this.parse(KeysGenerate)
    const r = writeKeyPair({
      privateKeyPath: flags['private-key'],
      publicKeyPath: flags['public-key'],
      curve: flags.curve,
      password: flags.password,
      force: flags.force,
    })
    this.log(`Wrote ${r.curve} private key ${r.privateKey}${r.encrypted ? ' (encrypted)' : ''} and public key ${r.publicKey}`)
    this.log(`  key hint (sha256 of the public key PEM): ${r.hint}`)
    return r
  }
}
