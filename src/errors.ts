/**
 * Typed errors with stable codes. Every failure modelseal reports carries a `code` (stable,
 * machine-readable, one of ERROR_CODES, each documented in docs/exit-codes.md), the process
 * exit code it maps to, and, when it wraps another failure, that failure as `cause`.
 */
import {redactSecrets} from './util/redact.js'

/**
 * Every error code modelseal reports. A new code is added here and to docs/exit-codes.md (a test
 * compares the two), so a caller can switch over `ErrorCode` exhaustively.
 */
export const ERROR_CODES = [
  'E_ARCHIVE_TOO_LARGE',
  'E_ATTESTATION_MALFORMED',
  'E_BAD_ARGUMENT',
  'E_BAD_CURVE',
  'E_BAD_DIGEST',
  'E_BAD_HASH',
  'E_BAD_IGNORE_PATH',
  'E_BAD_METHOD',
  'E_BAD_RANGE',
  'E_BAD_RECORDED_IGNORE_PATH',
  'E_BAD_SHARD_NAME',
  'E_BAD_SHARD_SIZE',
  'E_BAD_SIGNATURE_PATH',
  'E_BAD_WORKERS',
  'E_BLAKE3_SHARDS',
  'E_BUNDLE_MALFORMED',
  'E_BUNDLE_MEDIA_TYPE',
  'E_BUNDLE_METHOD',
  'E_BUNDLE_TOO_LARGE',
  'E_CERT_CHAIN',
  'E_CERT_KEY_MISMATCH',
  'E_CERT_MALFORMED',
  'E_CERT_NO_ANCHOR',
  'E_CERT_USAGE',
  'E_CERT_VALIDITY',
  'E_DATASET_BAD_PARTITION',
  'E_DATASET_BAD_SAMPLE',
  'E_DATASET_BAD_SHARD_SIZE',
  'E_DATASET_DUPLICATE_PATH',
  'E_DATASET_HEADER_MISMATCH',
  'E_DATASET_MANIFEST_MALFORMED',
  'E_DATASET_MANIFEST_UNREADABLE',
  'E_DATASET_MERGE_MISMATCH',
  'E_DATASET_OUTPUT_EXISTS',
  'E_DATASET_OUTPUT_INSIDE',
  'E_DATASET_PARTIAL',
  'E_DATASET_PARTITION_UNSUPPORTED',
  'E_DATASET_PREDICATE_TYPE',
  'E_DATASET_SHARD_DIGEST',
  'E_DATASET_SHARD_MISSING',
  'E_DATASET_STATEMENT',
  'E_DATASET_SUBJECT',
  'E_DATASET_TAR_MALFORMED',
  'E_DATASET_TAR_UNSUPPORTED',
  'E_DATASET_TOO_MANY_FILES',
  'E_DATASET_UNSAFE_ENTRY',
  'E_DATASET_UNSORTED',
  'E_DECISION_NO_DIGEST',
  'E_EMPTY_MODEL',
  'E_EMPTY_SIGNATURE',
  'E_FILE_CHANGED',
  'E_FILE_EXISTS',
  'E_FILE_TOO_LARGE',
  'E_INTERNAL',
  'E_IO',
  'E_JSON',
  'E_KEY_DECRYPT',
  'E_KEY_MALFORMED',
  'E_KEY_MISMATCH',
  'E_KEY_PASSWORD_REQUIRED',
  'E_KEY_UNREADABLE',
  'E_KEY_UNSUPPORTED',
  'E_MODEL_MISMATCH',
  'E_MODEL_NOT_FOUND',
  'E_MODEL_SYMLINK',
  'E_NON_UTF8_NAME',
  'E_NOTHING_TO_SCAN',
  'E_NOT_A_FILE',
  'E_NOT_FILE_OR_DIR',
  'E_NOT_ONNX',
  'E_NOT_REGULAR_FILE',
  'E_NPY_HEADER',
  'E_OCI_AUTH',
  'E_OCI_BLOB_MISMATCH',
  'E_OCI_CREDENTIALS',
  'E_OCI_DENIED',
  'E_OCI_DIGEST_MISMATCH',
  'E_OCI_DUPLICATE_TITLE',
  'E_OCI_HTTP',
  'E_OCI_MANIFEST_MALFORMED',
  'E_OCI_NOT_FOUND',
  'E_OCI_NO_SIGNATURE',
  'E_OCI_NO_SUCH_MANIFEST',
  'E_OCI_OUTPUT_EXISTS',
  'E_OCI_PLATFORM',
  'E_OCI_PUSH',
  'E_OCI_REDIRECT',
  'E_OCI_REFERENCE',
  'E_OCI_TIMEOUT',
  'E_OCI_TOO_LARGE',
  'E_OCI_TOO_MANY_REFERRERS',
  'E_OCI_UNREACHABLE',
  'E_OCI_UNSAFE_TITLE',
  'E_OCI_UNSUPPORTED_DIGEST',
  'E_OIDC',
  'E_OIDC_DENIED',
  'E_OIDC_TIMEOUT',
  'E_ONNX_EMPTY',
  'E_ONNX_EXTERNAL_MISSING',
  'E_ONNX_LIMIT',
  'E_ONNX_MALFORMED',
  'E_ONNX_NO_GRAPH',
  'E_ONNX_TOO_DEEP',
  'E_ONNX_TRUNCATED',
  'E_OUTPUT_WRITE',
  'E_PAYLOAD_TYPE',
  'E_PEM_MALFORMED',
  'E_PICKLE_TOO_LARGE',
  'E_POLICY_CERT',
  'E_POLICY_INVALID',
  'E_POLICY_KEY',
  'E_POLICY_MALFORMED',
  'E_POLICY_TRUSTED_ROOT',
  'E_SAFETENSORS_HEADER',
  'E_SCAN_TOO_DEEP',
  'E_SCAN_TOO_MANY',
  'E_SIGNATURE_INVALID',
  'E_SIGNING_CERT_USAGE',
  'E_SIGNING_CERT_VALIDITY',
  'E_SIGSTORE_AMBIENT_TOKEN',
  'E_SIGSTORE_BAD_REGEXP',
  'E_SIGSTORE_BUNDLE_MALFORMED',
  'E_SIGSTORE_CERTIFICATE',
  'E_SIGSTORE_CONFLICT',
  'E_SIGSTORE_EXTENSION',
  'E_SIGSTORE_FULCIO',
  'E_SIGSTORE_IDENTITY',
  'E_SIGSTORE_ISSUER',
  'E_SIGSTORE_NOT_KEYLESS',
  'E_SIGSTORE_NO_TOKEN',
  'E_SIGSTORE_PAYLOAD',
  'E_SIGSTORE_POLICY',
  'E_SIGSTORE_REKOR',
  'E_SIGSTORE_SCT',
  'E_SIGSTORE_SIGNATURE',
  'E_SIGSTORE_SIGNING',
  'E_SIGSTORE_STAGING_TRUST',
  'E_SIGSTORE_TIMESTAMP',
  'E_SIGSTORE_TLOG',
  'E_SIGSTORE_TLOG_BODY',
  'E_SIGSTORE_TLOG_INCLUSION',
  'E_SIGSTORE_TOKEN_EXPIRED',
  'E_SIGSTORE_TOKEN_MALFORMED',
  'E_SIGSTORE_TRUSTED_ROOT',
  'E_SIGSTORE_TRUST_CONFIG',
  'E_SIGSTORE_TSA',
  'E_SIGSTORE_TUF',
  'E_SIGSTORE_UNREACHABLE',
  'E_SIGSTORE_URL',
  'E_SIGSTORE_VERIFY',
  'E_STATEMENT_INVALID',
  'E_STATEMENT_MALFORMED',
  'E_STATEMENT_TOO_LARGE',
  'E_SYMLINK',
  'E_SYMLINK_ESCAPE',
  'E_TEMPLATE_TOO_LARGE',
  'E_TOO_DEEP',
  'E_TOO_MANY_FILES',
  'E_TOO_MANY_RESOURCES',
  'E_TOO_MUCH_EVIDENCE',
  'E_UNKNOWN_COMMAND',
  'E_UNSAFE_FILE_NAME',
  'E_UNSAFE_RESOURCE_NAME',
  'E_UNSAFE_SIGNED_PATH',
  'E_USAGE',
  'E_WORKER',
  'E_ZIP_BOMB',
  'E_ZIP_INFLATE',
  'E_ZIP_MEMBER',
  'E_ZIP_MEMBER_TOO_LARGE',
  'E_ZIP_METHOD',
  'E_ZIP_TOO_LARGE',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && (ERROR_CODES as readonly string[]).includes(s)
}

/** What an error may carry besides its code and message. */
export interface ModelsealErrorOptions {
  /** The failure this one wraps (kept for programs; never printed as a stack trace). */
  cause?: unknown
}

export const ExitCode = {
  /** success, clean, allowed */
  OK: 0,
  /** verification failed, findings at or above threshold, policy denied */
  FAILED: 1,
  /** usage error: bad flags or arguments */
  USAGE: 2,
  /** input could not be read or parsed */
  INPUT: 3,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class ModelsealError extends Error {
  readonly code: ErrorCode
  readonly exitCode: ExitCodeValue
  /** Extra machine-readable detail (e.g. the list of problems found by verification). */
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, exitCode: ExitCodeValue, details?: unknown, options?: ModelsealErrorOptions) {
    super(message, options?.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.exitCode = exitCode
    this.details = details
  }
}

/** Verification, scan threshold or policy failure: exit 1. */
export class VerificationError extends ModelsealError {
  constructor(code: ErrorCode, message: string, details?: unknown, options?: ModelsealErrorOptions) {
    super(code, message, ExitCode.FAILED, details, options)
  }
}

/** The user asked for something impossible or contradictory: exit 2. */
export class UsageError extends ModelsealError {
  constructor(code: ErrorCode, message: string, details?: unknown, options?: ModelsealErrorOptions) {
    super(code, message, ExitCode.USAGE, details, options)
  }
}

/** Input missing, unreadable, malformed or hostile: exit 3. */
export class InputError extends ModelsealError {
  constructor(code: ErrorCode, message: string, details?: unknown, options?: ModelsealErrorOptions) {
    super(code, message, ExitCode.INPUT, details, options)
  }
}

/** Turns anything thrown into a one-line message with a code and exit code; never a stack trace. */
export function describeError(err: unknown): {code: ErrorCode; message: string; exitCode: ExitCodeValue} {
  const d = describeUnredacted(err)
  // Library messages can quote what they were given (an identity token, a password): never print it.
  return {...d, message: redactSecrets(d.message)}
}

function describeUnredacted(err: unknown): {code: ErrorCode; message: string; exitCode: ExitCodeValue} {
  if (err instanceof ModelsealError) return {code: err.code, message: oneLine(err.message), exitCode: err.exitCode}
  const e = err as {code?: unknown; message?: unknown} | undefined
  const sysCode = typeof e?.code === 'string' ? e.code : undefined
  const message = oneLine(typeof e?.message === 'string' ? e.message : String(err))
  if (sysCode && /^E[A-Z]+$/.test(sysCode)) {
    // Node system errors (ENOENT, EACCES, EISDIR, ...) mean the input could not be read.
    return {code: 'E_IO', message, exitCode: ExitCode.INPUT}
  }
  if (err instanceof RangeError && /call stack/i.test(message)) {
    return {code: 'E_TOO_DEEP', message: 'input nests too deeply', exitCode: ExitCode.INPUT}
  }
  // Fail closed: an unexpected internal error is never success, and never "verified".
  return {code: 'E_INTERNAL', message: `internal error: ${message}`, exitCode: ExitCode.INPUT}
}

export function oneLine(s: string): string {
  const line = s.replace(/\s*\n\s*/g, ' ').trim()
  return line.length > 2000 ? `${line.slice(0, 2000)}…` : line
}
