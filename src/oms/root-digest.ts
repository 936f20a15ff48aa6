import {createHash} from 'node:crypto'

import {InputError} from '../errors.js'
import type {ResourceDescriptor} from './types.js'

/**
 * The subject digest: SHA-256 over the raw digest bytes of the resources, in the order given
 * (canonical order when signing, payload order when verifying). Names and algorithms are not
 * hashed. Hex must be well-formed: Buffer.from(hex) would silently stop at the first bad digit.
 */
export function computeRootDigest(resources: readonly Pick<ResourceDescriptor, 'digest'>[]): string {
  const h = createHash('sha256')
  for (const r of resources) {
    if (typeof r.digest !== 'string' || r.digest.length === 0 || r.digest.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(r.digest)) {
      throw new InputError('E_BAD_DIGEST', `malformed digest ${JSON.stringify(String(r.digest).slice(0, 200))}`)
    }
    h.update(Buffer.from(r.digest, 'hex'))
  }
  return h.digest('hex')
}
