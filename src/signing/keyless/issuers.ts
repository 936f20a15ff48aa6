/**
 * The Sigstore OIDC defaults, apart from the sign-in code (oidc.ts): command flags name them in
 * their help, and importing them must not load node:http and the sign-in flow at every start.
 */
export const PUBLIC_GOOD_ISSUER = 'https://oauth2.sigstore.dev/auth'
export const STAGING_ISSUER = 'https://oauth2.sigstage.dev/auth'
export const DEFAULT_CLIENT_ID = 'sigstore'
