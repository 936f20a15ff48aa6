/**
 * Signer flags of the commands that sign statements about a model (`attest scan`,
 * `policy check --decision-out`): key, certificate or keyless, with the names `sign key`,
 * `sign certificate` and `sign sigstore` use.
 */
import {Flags} from '@oclif/core'

import {UsageError} from '../../src/errors.js'
import type {SignerSpec} from '../../src/signing/types.js'
import {passwordFlag} from './flags.js'
import {identityTokenFor, keylessSignFlags, keylessSignOptions} from './sigstore-flags.js'

export const attestSignerFlags = {
  'private-key': Flags.string({description: 'PEM private key: sign with the key method (add --signing-certificate for the certificate method)'}),
  password: passwordFlag,
  'signing-certificate': Flags.string({description: 'PEM signing (leaf) certificate matching --private-key: certificate method'}),
  'certificate-chain': Flags.string({multiple: true, description: 'PEM file(s) of the rest of the chain to embed (repeatable)'}),
  sigstore: Flags.boolean({default: false, description: 'Sign keylessly with Sigstore (Fulcio certificate, Rekor entry, timestamp)'}),
  ...keylessSignFlags,
}

type Values = {
  'private-key'?: string
  password?: string
  'signing-certificate'?: string
  'certificate-chain'?: string[]
  sigstore: boolean
} & Parameters<typeof keylessSignOptions>[0]

/** The signer the flags name; undefined when none was asked for. Keyless tokens are resolved up front. */
export async function attestSignerSpec(f: Values): Promise<SignerSpec | undefined> {
  if (f.sigstore) {
    if (f['private-key'] || f['signing-certificate'])
      throw new UsageError('E_USAGE', '--sigstore signs keylessly: do not combine it with --private-key or --signing-certificate')
    const options = keylessSignOptions(f)
    // Resolve the token before scanning/hashing: a missing token must fail in milliseconds.
    const token = await identityTokenFor(f, (line) => process.stderr.write(`${line}\n`))
    return {method: 'sigstore', ...options, identityToken: token.token}
  }
  if (!f['private-key']) {
    if (f['signing-certificate'] || f['certificate-chain']?.length) throw new UsageError('E_USAGE', '--signing-certificate needs --private-key')
    return undefined
  }
  if (f['signing-certificate']) {
    return {
      method: 'certificate',
      privateKeyPath: f['private-key'],
      password: f.password,
      signingCertificatePath: f['signing-certificate'],
      certificateChainPaths: f['certificate-chain'] ?? [],
    }
  }
  if (f['certificate-chain']?.length) throw new UsageError('E_USAGE', '--certificate-chain needs --signing-certificate')
  return {method: 'key', privateKeyPath: f['private-key'], password: f.password}
}
