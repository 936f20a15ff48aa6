/** Public keys named by key identities: loaded once, fingerprinted the way OMS computes the key hint. */
import {createHash, createPublicKey} from 'node:crypto'

import {InputError} from '../errors.js'
import {readBoundedFile} from '../io/index.js'
import type {KeyIdentity} from './types.js'

export const MAX_KEY_BYTES = 64 * 1024

/** hex SHA-256 of the SPKI PEM text — the OMS `hint` and SignerIdentity.keyFingerprint. */
export function fingerprintOfPem(pem: string | Buffer, source: string): string {
  let spki: string
  try {
    spki = createPublicKey(pem).export({type: 'spki', format: 'pem'}) as string
  } catch (err) {
    throw new InputError('E_POLICY_KEY', `${source}: not a PEM public key (${(err as Error).message})`)
  }
  return createHash('sha256').update(spki).digest('hex')
}

/** The fingerprint a key identity stands for; a path and a fingerprint that disagree are an error. */
export function keyIdentityFingerprint(id: KeyIdentity, name: string): string {
  if (!id.path) return id.fingerprint!
  const fp = fingerprintOfPem(readBoundedFile(id.path, {maxBytes: MAX_KEY_BYTES, code: 'E_POLICY_KEY', what: `public key of identity ${name}`, followSymlinks: true}), id.path)
  if (id.fingerprint && id.fingerprint !== fp) {
    throw new InputError('E_POLICY_KEY', `identity ${name}: key file ${id.path} has fingerprint sha256:${fp}, not the pinned sha256:${id.fingerprint}`)
  }
  return fp
}
