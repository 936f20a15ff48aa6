/**
 * Keyless (Sigstore) signing and verification: Fulcio certificate, Rekor entry, RFC 3161
 * timestamp. Reached through src/signing/index.ts (method 'sigstore') and loaded lazily there,
 * since sigstore-js costs ~150 ms to import.
 */
export {signKeyless, type KeylessSignContext} from './sign.js'
export {verifyKeyless, type KeylessVerifyContext} from './verify.js'
export {describeKeylessBundle, type KeylessBundleSummary} from './describe.js'
export {loadTrustedRoot, shippedTrustedRootJson, defaultTufCachePath, type LoadedTrust, type TrustOptions} from './trust-root.js'
export {resolveSigningEndpoints, PUBLIC_GOOD, STAGING, type SigningEndpoints} from './endpoints.js'
export {resolveIdentityToken, decodeJwtClaims} from './token.js'
export {compilePolicy, anchored, type IdentityPolicy} from './policy.js'
export {FULCIO_EXTENSIONS, EXTENSION_NAMES, identityFromCertificate} from './certificate.js'
