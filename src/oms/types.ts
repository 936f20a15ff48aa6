/** Data types of the OpenSSF Model Signing (OMS) manifest, as modelseal holds them in memory. */

export type HashAlgorithm = 'sha256' | 'blake2b' | 'blake3'
export type SerializationMethod = 'files' | 'shards'

/** How a model was (or must be) enumerated and hashed; recorded in the signed predicate. */
export interface SerializationParams {
  method: SerializationMethod
  hashType: HashAlgorithm
  /** Bytes per shard; present iff method is 'shards'. */
  shardSize?: number
  allowSymlinks: boolean
  /** Paths excluded from the model, relative, '/'-separated (recorded as `ignore_paths`). */
  ignorePaths: string[]
}

/** One signed item: a file (`path`, or `.` for a single-file model) or a shard (`path:start:end`). */
export interface ResourceDescriptor {
  name: string
  /** `sha256` | `blake2b` | `blake3`, or `<hash>-sharded-<N>` for shards. */
  algorithm: string
  /** Lowercase hex. */
  digest: string
}

/** The model's manifest: every resource in canonical order plus the root (subject) digest. */
export interface Manifest {
  /** Informational subject name (basename of the model path). */
  modelName: string
  serialization: SerializationParams
  resources: ResourceDescriptor[]
  /** SHA-256 over the raw resource digests, lowercase hex. */
  rootDigest: string
}
