import {readFileSync} from 'node:fs'

import {describeKeylessBundle, type KeylessBundleSummary} from '../../src/signing/keyless/describe.js'
import {resolveSigningEndpoints, type SigningEndpoints} from '../../src/signing/keyless/endpoints.js'
import {tokenSubject, type TokenSource} from '../../src/signing/keyless/token.js'
import {ModelsealCommand} from '../_lib/base-command.js'
import {signFlags} from '../_lib/flags.js'
import {modelArg, runSign, type SignReport} from '../_lib/model-signing.js'
import {bundleOfReport, type OciSignReport} from '../_lib/oci.js'
import {identityTokenFor, keylessSignFlags, keylessSignOptions} from '../_lib/sigstore-flags.js'

/** `sign sigstore --json`: the common sign report plus what Sigstore recorded. */
export type SigstoreSignReport = (SignReport | OciSignReport) & {
  sigstore: {
    tokenSource: TokenSource
    endpoints: SigningEndpoints
    identity: string[]
    issuer: string | null
    extensions: Record<string, string>
    tlog: KeylessBundleSummary['tlog']
    rfc3161Timestamps: number
  }
}

export default class SignSigstore extends ModelsealCommand {
  static override summary = 'Sign a model keylessly with Sigstore (Fulcio certificate, Rekor entry, RFC 3161 timestamp)'
  static override description =
    `Hashes MODEL_PATH, builds the OMS in-toto statement and signs it with an ephemeral key certified by Fulcio for your OIDC identity; the signature is logged in Rekor and timestamped. The bundle (v0.3) is what "model_signing verify sigstore" reads. The identity token comes from --identity-token, $SIGSTORE_ID_TOKEN, or GitHub Actions (permissions: id-token: write); otherwise, from a terminal, you sign in with your browser (authorization code + PKCE, redirected to 127.0.0.1; the URL is printed for copy-paste), or with --oauth-device on a headless machine (a code to enter elsewhere), or --oauth-force-oob (paste the code back). Services: public-good by default, --use-staging, --trust-config, or --fulcio-url/--rekor-url/--tsa-url.`
  static override examples = [
    {description: 'In GitHub Actions (ambient OIDC credentials)', command: '<%= config.bin %> <%= command.id %> ./my-model'},
    '<%= config.bin %> <%= command.id %> ./my-model --identity-token "$(cat token.jwt)" --signature my-model.sig',
    '<%= config.bin %> <%= command.id %> ./my-model --use-staging',
    {description: 'From a laptop: sign in with the browser', command: '<%= config.bin %> <%= command.id %> ./my-model'},
    {description: 'On a headless machine: sign in with a code on another device', command: '<%= config.bin %> <%= command.id %> ./my-model --oauth-device'},
    '<%= config.bin %> <%= command.id %> ./my-model --trust-config private-sigstore.json --json',
  ]
  static override args = modelArg
  static override flags = {...signFlags, ...keylessSignFlags}

  public async run(): Promise<SigstoreSignReport> {
    const {args, flags} = await this.parse(this.constructor as typeof SignSigstore)
    const options = keylessSignOptions(flags)
    // Resolve the services and the token before hashing: a missing token must fail in
    // milliseconds, not after hashing a 100 GB model.
    const endpoints = await resolveSigningEndpoints(options)
    const token = await identityTokenFor(flags, (line) => process.stderr.write(`${line}\n`))
    const json = this.jsonEnabled()
    if (!json) this.log(`Signing as ${tokenSubject(token.claims) ?? 'unknown identity'} (token from ${token.source}) via ${endpoints.fulcioUrl}`)
    const report = await runSign(this, args.model_path, flags, {method: 'sigstore', ...options, identityToken: token.token}, json)
    const summary = await describeKeylessBundle(bundleOfReport(report) ?? JSON.parse(readFileSync(report.signaturePath as string, 'utf8')))
    if (!json) {
      const log = summary.tlog.map((t) => `${t.logIndex}${t.integratedTime ? ` at ${t.integratedTime}` : ''}`).join(', ')
      this.log(`  identity ${summary.subjectAlternativeNames.join(', ')} (issuer ${summary.oidcIssuer ?? 'unknown'})`)
      this.log(`  transparency log entry ${log || 'none'} in ${endpoints.rekorUrl}; ${summary.rfc3161Timestamps} RFC 3161 timestamp(s)`)
    }
    return {
      ...report,
      sigstore: {
        tokenSource: token.source,
        endpoints,
        identity: summary.subjectAlternativeNames,
        issuer: summary.oidcIssuer ?? null,
        extensions: summary.extensions,
        tlog: summary.tlog,
        rfc3161Timestamps: summary.rfc3161Timestamps,
      },
    }
  }
}
