/** Models in OCI registries: push, sign and verify by manifest, verified pull. */
export {pushModel, type PushOptions, type PushResult} from './push.js'
export {pullModel, type PullOptions, type PullResult} from './pull.js'
export {signOciModel, type SignOciOptions, type SignOciResult} from './sign.js'
export {verifyOciModel, type VerifyOciOptions, type VerifyOciResult} from './verify.js'
export {resolveModel, type RegistryOptions, type ResolvedModel} from './resolve.js'
export {isOciReference, parseOciReference, formatOciReference, type OciReference} from './reference.js'
export {manifestToOms, modelFiles, CONFIG_RESOURCE_NAME} from './model.js'
export {withVerifiedPull} from './temp-pull.js'
