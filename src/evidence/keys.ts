/**
 * Public keys named by trusted identities. A key is identified by its canonical SPKI
 * (uncompressed point): the same key written as a PEM, a DER or a compressed point is one key.
 * A private key is not a key identity (it must never sit in a policy directory), so it is refused.
 */
import {InputError, ModelsealError} from '../errors.js'
import {keyHint, keyIdentity, loadPublicKey} from '../signing/index.js'
import type {KeyIdentity} from './types.js'

export interface LoadedKey {
  path: string
  /** hex SHA-256 of the canonical SPKI PEM: the OMS hint, what `modelseal keys` prints. */
  fingerprint: string
  /** hex SHA-256 of the canonical SPKI DER: the signer identity. */
  identity: string
}

export function loadKey(file: string, what: string): LoadedKey {
  let pub
  try {
    pub = loadPublicKey(file)
  } catch (err) {
    if (!(err instanceof ModelsealError)) throw err
    throw new InputError('E_POLICY_KEY', `${what}: ${err.message}`)
  }
  return {path: file, fingerprint: keyHint(pub), identity: keyIdentity(pub)}
}

/**
 * The key a key identity stands for: loaded from its path (and checked against a pinned
 * fingerprint), or only the fingerprint when no path is given.
 */
export function resolveKeyIdentity(id: KeyIdentity, name: string): {fingerprint: string; key?: LoadedKey} {
  if (!id.path) return {fingerprint: id.fingerprint!}
  const key = loadKey(id.path, `public key of identity ${name}`)
  if (id.fingerprint && id.fingerprint !== key.fingerprint) {
    throw new InputError(
      'E_POLICY_KEY',
      `identity ${name}: key file ${id.path} has fingerprint sha256:${key.fingerprint}, not the pinned sha256:${id.fingerprint}`,
    )
  }
  return {fingerprint: key.fingerprint, key}
}
