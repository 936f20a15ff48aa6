/**
 * Signer and verifier flags of `dataset sign` / `dataset verify`: one command whose flags pick
 * the method (key, certificate or keyless). Signing reuses the attest signer flags; verifying
 * reuses the keyless verifier flags of `verify sigstore`, minus their "exactly one identity"
 * rule, which here applies only when the keyless method is chosen.
 */
import {Flags} from '@oclif/core'

import {UsageError} from '../../src/errors.js'
import type {SignerSpec, VerifierSpec} from '../../src/signing/types.js'
import {attestSignerFlags, attestSignerSpec} from './attest-signer.js'
import {keylessVerifyFlags, keylessVerifyOptions} from './sigstore-flags.js'

export const datasetSignerFlags = attestSignerFlags

export async function datasetSignerSpec(f: Parameters<typeof attestSignerSpec>[0]): Promise<SignerSpec> {
  const spec = await attestSignerSpec(f)
  if (!spec) throw new UsageError('E_USAGE', 'choose a signer: --private-key K.pem [--signing-certificate C.pem], or --sigstore')
  return spec
}

const keylessForDataset = Object.fromEntries(
  Object.entries(keylessVerifyFlags).map(([name, flag]) => [name, {...flag, exactlyOne: undefined}]),
) as unknown as typeof keylessVerifyFlags

export const datasetVerifierFlags = {
  'public-key': Flags.string({description: 'PEM public key of the signer (key method)'}),
  'certificate-chain': Flags.string({multiple: true, description: 'PEM trust anchor(s) for the certificate method (repeatable)'}),
  ...keylessForDataset,
}

type VerifierFlagValues = Parameters<typeof keylessVerifyOptions>[0] & {
  'public-key'?: string
  'certificate-chain'?: string[]
  unsigned: boolean
}

/** The verifier the flags ask for, or undefined for --unsigned. Exactly one method is allowed. */
export function datasetVerifierSpec(f: VerifierFlagValues): VerifierSpec | undefined {
  const keyless = Boolean(f.identity || f['identity-regexp'] || f['identity-provider'] || f['identity-provider-regexp'])
  const methods = [
    f['public-key'] ? '--public-key' : '',
    f['certificate-chain']?.length ? '--certificate-chain' : '',
    keyless ? '--identity/--identity-provider' : '',
  ].filter(Boolean)
  if (f.unsigned) {
    if (methods.length > 0) throw new UsageError('E_USAGE', `--unsigned skips the signature: do not combine it with ${methods.join(', ')}`)
    return undefined
  }
  if (methods.length !== 1) {
    throw new UsageError(
      'E_USAGE',
      methods.length === 0
        ? 'choose a verifier: --public-key, --certificate-chain, --identity[-regexp] with --identity-provider[-regexp] (keyless), or --unsigned'
        : `choose one verifier, not ${methods.join(' and ')}`,
    )
  }
  if (f['public-key']) return {method: 'key', publicKeyPath: f['public-key']}
  if (f['certificate-chain']?.length) return {method: 'certificate', certificateChainPaths: f['certificate-chain']}
  if (!f.identity === !f['identity-regexp']) throw new UsageError('E_USAGE', 'keyless verification needs exactly one of --identity and --identity-regexp')
  if (!f['identity-provider'] === !f['identity-provider-regexp'])
    throw new UsageError('E_USAGE', 'keyless verification needs exactly one of --identity-provider and --identity-provider-regexp')
  return {method: 'sigstore', ...keylessVerifyOptions(f)}
}
