/**
 * Keyless (Sigstore) flags, shared by `sign sigstore`, `verify sigstore` and any other command
 * that signs or verifies keylessly (dataset, attest, policy): same names, same meaning.
 */
import {Flags} from '@oclif/core'

import {UsageError} from '../../src/errors.js'
import {DEFAULT_CLIENT_ID, PUBLIC_GOOD_ISSUER, STAGING_ISSUER} from '../../src/signing/keyless/issuers.js'
import {checkedToken, resolveIdentityToken, type ResolvedToken} from '../../src/signing/keyless/token.js'
import type {KeylessSignOptions, KeylessVerifyOptions} from '../../src/signing/types.js'

export const keylessSignFlags = {
  'identity-token': Flags.string({
    description: 'OIDC identity token for Fulcio (default: $SIGSTORE_ID_TOKEN, else GitHub Actions ambient credentials)',
  }),
  'use-ambient-credentials': Flags.boolean({
    default: true,
    allowNo: true,
    description: 'Use GitHub Actions ambient OIDC credentials (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN, audience sigstore)',
  }),
  'use-staging': Flags.boolean({
    default: false,
    description: 'Use the Sigstore staging instance instead of public-good',
    exclusive: ['trust-config'],
  }),
  'trust-config': Flags.string({
    description: 'Sigstore ClientTrustConfig JSON (trusted root + signing config naming Fulcio/Rekor/TSA)',
  }),
  'fulcio-url': Flags.string({description: 'Fulcio base URL (overrides the default / trust config)'}),
  'rekor-url': Flags.string({description: 'Rekor (v1 API) base URL (overrides the default / trust config)'}),
  'tsa-url': Flags.string({description: 'RFC 3161 timestamp authority URL (overrides the default / trust config)'}),
  'oauth-device': Flags.boolean({
    default: false,
    description: 'No token given: sign in with the OAuth device flow (a URL and a code to enter on another machine), for headless machines',
    exclusive: ['oauth-force-oob'],
  }),
  'oauth-force-oob': Flags.boolean({
    default: false,
    description: 'No token given: do not open a browser; print the sign-in URL and read the code it shows from the terminal',
  }),
  'oidc-issuer': Flags.string({
    description: `OIDC provider for the interactive sign-in (default: the trust config's, else ${PUBLIC_GOOD_ISSUER}, or ${STAGING_ISSUER} with --use-staging)`,
  }),
  'client-id': Flags.string({default: DEFAULT_CLIENT_ID, description: 'OIDC client id for the interactive sign-in'}),
  'client-secret': Flags.string({
    description: 'OIDC client secret for the interactive sign-in, if the provider needs one',
    env: 'MODELSEAL_OIDC_CLIENT_SECRET',
  }),
}

type KeylessSignFlagValues = {
  'identity-token'?: string
  'oauth-device'?: boolean
  'oauth-force-oob'?: boolean
  'oidc-issuer'?: string
  'client-id'?: string
  'client-secret'?: string
  'use-ambient-credentials': boolean
  'use-staging': boolean
  'trust-config'?: string
  'fulcio-url'?: string
  'rekor-url'?: string
  'tsa-url'?: string
}

export function keylessSignOptions(f: KeylessSignFlagValues): KeylessSignOptions {
  return {
    identityToken: f['identity-token'],
    useStaging: f['use-staging'],
    trustConfigPath: f['trust-config'],
    fulcioUrl: f['fulcio-url'],
    rekorUrl: f['rekor-url'],
    tsaUrl: f['tsa-url'],
  }
}

/** The environment the token is looked up in: without ambient credentials when asked. */
export function tokenEnvironment(f: KeylessSignFlagValues): NodeJS.ProcessEnv {
  if (f['use-ambient-credentials']) return process.env
  const {ACTIONS_ID_TOKEN_REQUEST_URL: _u, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _t, ...rest} = process.env
  return rest
}

/**
 * The identity token: --identity-token, $SIGSTORE_ID_TOKEN or GitHub Actions; failing those, the
 * interactive sign-in (browser with a loopback redirect, out of band, or device flow) when a
 * person can answer it — a terminal, or a flow asked for explicitly.
 */
export async function identityTokenFor(f: KeylessSignFlagValues, print: (line: string) => void): Promise<ResolvedToken> {
  const options = keylessSignOptions(f)
  try {
    return await resolveIdentityToken(options.identityToken, tokenEnvironment(f))
  } catch (err) {
    const explicit = f['oauth-device'] || f['oauth-force-oob'] || f['oidc-issuer'] !== undefined
    const person = process.stdin.isTTY && process.stderr.isTTY
    if ((err as {code?: string}).code !== 'E_SIGSTORE_NO_TOKEN' || !(explicit || person)) throw err
  }
  // The sign-in flow (a local HTTP server, a browser) loads only when it runs.
  const {interactiveIdentityToken} = await import('../../src/signing/keyless/oidc.js')
  const token = await interactiveIdentityToken({
    issuer: await oidcIssuerFor(f),
    clientId: f['client-id'],
    clientSecret: f['client-secret'],
    device: f['oauth-device'],
    forceOob: f['oauth-force-oob'],
    print,
    readLine: readLineFromStdin,
  })
  return checkedToken(token, 'interactive')
}

async function oidcIssuerFor(f: KeylessSignFlagValues): Promise<string> {
  if (f['oidc-issuer']) return f['oidc-issuer']
  if (f['trust-config']) {
    const {readClientTrustConfig} = await import('../../src/signing/keyless/trust-files.js')
    const {signingConfig} = await readClientTrustConfig(f['trust-config'])
    const url = signingConfig.oidcUrls?.[0]?.url
    if (url) return url
  }
  return f['use-staging'] ? STAGING_ISSUER : PUBLIC_GOOD_ISSUER
}

function readLineFromStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const onData = (d: Buffer) => {
      text += d.toString('utf8')
      const nl = text.indexOf('\n')
      if (nl !== -1 || text.length > 4096) {
        process.stdin.off('data', onData)
        // Nothing else reads stdin; an open pipe would keep the process alive after signing.
        process.stdin.destroy()
        resolve(text.slice(0, nl === -1 ? undefined : nl))
      }
    }
    process.stdin.on('data', onData)
    process.stdin.once('end', () => reject(new Error('end of input before a code was entered')))
    process.stdin.resume()
  })
}

/** Fulcio-extension flags: flag name → extension name (see docs/keyless.md for the list). */
const EXTENSION_FLAGS = {
  'source-repository': 'sourceRepositoryURI',
  'source-ref': 'sourceRepositoryRef',
  'source-digest': 'sourceRepositoryDigest',
  'build-signer-uri': 'buildSignerURI',
  'build-signer-digest': 'buildSignerDigest',
  'build-config-uri': 'buildConfigURI',
  'build-trigger': 'buildTrigger',
  'runner-environment': 'runnerEnvironment',
} as const

export const keylessVerifyFlags = {
  identity: Flags.string({
    description: 'Expected signer identity (certificate SAN: email, URI or workflow ref), exact match',
    exactlyOne: ['identity', 'identity-regexp'],
  }),
  'identity-regexp': Flags.string({
    description: 'Expected signer identity as a regular expression, always anchored to the whole SAN',
    exactlyOne: ['identity', 'identity-regexp'],
  }),
  'identity-provider': Flags.string({
    description: 'Expected OIDC issuer (e.g. https://token.actions.githubusercontent.com), exact match',
    exactlyOne: ['identity-provider', 'identity-provider-regexp'],
  }),
  'identity-provider-regexp': Flags.string({
    description: 'Expected OIDC issuer as a regular expression, always anchored',
    exactlyOne: ['identity-provider', 'identity-provider-regexp'],
  }),
  'source-repository': Flags.string({
    description: 'Expected source repository URI (Fulcio ext. 1.3.6.1.4.1.57264.1.12), e.g. https://github.com/acme/models',
  }),
  'source-repository-regexp': Flags.string({description: 'Source repository URI as an anchored regular expression'}),
  'source-ref': Flags.string({description: 'Expected source ref (ext. …1.14), e.g. refs/heads/main or refs/tags/v1.0'}),
  'source-ref-regexp': Flags.string({description: 'Source ref as an anchored regular expression, e.g. refs/tags/v.*'}),
  'source-digest': Flags.string({description: 'Expected source commit digest (ext. …1.13)'}),
  'build-signer-uri': Flags.string({
    description:
      'Expected build signer URI: the workflow that signed (ext. …1.9), e.g. https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1',
  }),
  'build-signer-uri-regexp': Flags.string({description: 'Build signer (workflow) URI as an anchored regular expression'}),
  'build-signer-digest': Flags.string({description: 'Expected build signer digest (ext. …1.10)'}),
  'build-config-uri': Flags.string({description: 'Expected build config URI: the top-level workflow (ext. …1.18)'}),
  'build-trigger': Flags.string({description: 'Expected build trigger (ext. …1.20), e.g. push, release'}),
  'runner-environment': Flags.string({description: 'Expected runner environment (ext. …1.11), e.g. github-hosted'}),
  'certificate-extension': Flags.string({
    multiple: true,
    description: 'Any other Fulcio extension check, NAME=VALUE (exact) or NAME~=REGEXP (anchored); repeatable',
  }),
  'trusted-root': Flags.string({
    description: 'Sigstore trusted_root.json to verify against; no network I/O at all',
    exclusive: ['trust-config', 'offline'],
  }),
  'trust-config': Flags.string({
    description: 'Sigstore ClientTrustConfig JSON; its trusted root is used (no network I/O)',
    exclusive: ['offline'],
  }),
  offline: Flags.boolean({
    default: false,
    description: 'No network: use the public-good trusted root shipped with modelseal or cached by an earlier TUF refresh',
  }),
  'use-staging': Flags.boolean({
    default: false,
    description: 'The signature was made with Sigstore staging (needs --trusted-root or --trust-config)',
  }),
}

type KeylessVerifyFlagValues = {
  identity?: string
  'identity-regexp'?: string
  'identity-provider'?: string
  'identity-provider-regexp'?: string
  'certificate-extension'?: string[]
  'trusted-root'?: string
  'trust-config'?: string
  offline: boolean
  'use-staging': boolean
} & {[K in keyof typeof EXTENSION_FLAGS]?: string} & {
  'source-repository-regexp'?: string
  'source-ref-regexp'?: string
  'build-signer-uri-regexp'?: string
}

export function keylessVerifyOptions(f: KeylessVerifyFlagValues): KeylessVerifyOptions {
  const extensions: Record<string, string> = {}
  const extensionRegexps: Record<string, string> = {}
  for (const [flag, ext] of Object.entries(EXTENSION_FLAGS)) {
    const v = f[flag as keyof typeof EXTENSION_FLAGS]
    if (v !== undefined) extensions[ext] = v
  }
  const regexpFlags = {
    'source-repository-regexp': 'sourceRepositoryURI',
    'source-ref-regexp': 'sourceRepositoryRef',
    'build-signer-uri-regexp': 'buildSignerURI',
  } as const
  for (const [flag, ext] of Object.entries(regexpFlags)) {
    const v = f[flag as keyof typeof regexpFlags]
    if (v === undefined) continue
    if (extensions[ext] !== undefined) throw new UsageError('E_SIGSTORE_POLICY', `give either --${flag.replace(/-regexp$/, '')} or --${flag}, not both`)
    extensionRegexps[ext] = v
  }
  for (const spec of f['certificate-extension'] ?? []) {
    const m = /^([A-Za-z]+)(~?=)(.*)$/s.exec(spec)
    if (!m) throw new UsageError('E_SIGSTORE_POLICY', `--certificate-extension must be NAME=VALUE or NAME~=REGEXP, got "${spec}"`)
    const [, name, op, value] = m
    if (extensions[name] !== undefined || extensionRegexps[name] !== undefined) {
      throw new UsageError('E_SIGSTORE_POLICY', `certificate extension ${name} is checked twice`)
    }
    if (op === '=') extensions[name] = value
    else extensionRegexps[name] = value
  }
  return {
    identity: f.identity,
    identityRegexp: f['identity-regexp'],
    issuer: f['identity-provider'],
    issuerRegexp: f['identity-provider-regexp'],
    extensions,
    extensionRegexps,
    trustedRootPath: f['trusted-root'],
    trustConfigPath: f['trust-config'],
    offline: f.offline,
    useStaging: f['use-staging'],
  }
}
