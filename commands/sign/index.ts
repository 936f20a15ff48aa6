import SignSigstore from './sigstore.js'

/**
 * `modelseal sign MODEL_PATH`: like `model_signing sign`, keyless Sigstore is the default
 * method. `sign key|certificate|sigstore MODEL_PATH` pick one explicitly.
 */
export default class Sign extends SignSigstore {
  static override summary = 'Sign a model (default method: keyless Sigstore; see also sign key, sign certificate)'
  static override description = `Same as "modelseal sign sigstore MODEL_PATH". ${SignSigstore.description}`
  static override examples = [
    '<%= config.bin %> sign ./my-model',
    '<%= config.bin %> sign ./my-model --identity-token "$SIGSTORE_ID_TOKEN" --signature my-model.sig',
    '<%= config.bin %> sign key ./my-model --private-key signing-key.pem',
  ]
  // oclif's parse() spreads the command class, which copies own statics only: restate them.
  static override args = SignSigstore.args
  static override flags = SignSigstore.flags
}
