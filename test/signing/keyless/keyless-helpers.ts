/** Shared bits of the keyless tests. */
export {githubClaims, mintJwt, MOCK_IDENTITY, MOCK_ISSUER, startSigstoreMock, type SigstoreMock} from '../../helpers/sigstore-mock.js'
export {tempDir} from '../../helpers/cli.js'
