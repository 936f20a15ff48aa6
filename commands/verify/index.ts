import VerifySigstore from './sigstore.js'

/**
 * `modelseal verify MODEL_PATH`: like `model_signing verify`, keyless Sigstore is the default
 * method. `verify key|certificate|sigstore MODEL_PATH` pick one explicitly.
 */
export default class Verify extends VerifySigstore {
  static override summary = 'Verify a model signature (default method: keyless Sigstore; see also verify key, verify certificate)'
  static override description = `Same as "modelseal verify sigstore MODEL_PATH". ${VerifySigstore.description}`
  static override examples = [
    '<%= config.bin %> verify ./my-model --signature model.sig --identity alice@example.com --identity-provider https://accounts.google.com',
    '<%= config.bin %> verify key ./my-model --signature model.sig --public-key signing-key.pub',
  ]
  // oclif's parse() spreads the command class, which copies own statics only: restate them.
  static override args = VerifySigstore.args
  static override flags = VerifySigstore.flags
}
