/**
 * Data types of `dataset-manifest/v1` (docs/dataset-manifest.md): sorted per-file entries in
 * gzip-compressed JSONL shards, a domain-separated Merkle root over (path, size, digest), and a
 * small header — the only part that gets signed.
 */
export const MANIFEST_VERSION = 'dataset-manifest/v1'
/** in-toto predicate type of a signed dataset manifest (the predicate is the header). */
export const DATASET_PREDICATE_TYPE = 'https://modelseal.dev/dataset-manifest/v1'
export const INTOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'
/** DigestSet key of the dataset root in statement subjects and provenance references. */
export const ROOT_DIGEST_KEY = 'dsm1-root'
export const LEAF_FORMAT = 'dsm1'

/** File digest algorithms a dataset manifest may use (the tree hash is always SHA-256). */
export type DatasetHashAlgorithm = 'sha256' | 'blake3'
export const DATASET_HASH_ALGORITHMS: readonly DatasetHashAlgorithm[] = ['sha256', 'blake3']

/** Where the files came from; informational (the root does not depend on it). */
export type SourceFormat = 'dir' | 'tar' | 'tar-shards'

/** One file of the dataset. */
export interface DatasetEntry {
  /** Canonical path: relative, '/'-separated, NFC, no '.', '..' or empty components. */
  path: string
  size: number
  /** Lowercase hex digest with the manifest's file algorithm. */
  digest: string
}

export interface ShardInfo {
  index: number
  /** Relative to the manifest directory: `shards/00000.jsonl.gz`. */
  uri: string
  /** SHA-256 of the compressed shard file. */
  sha256: string
  /** RFC 6962 Merkle root over the shard's leaves. */
  root: string
  files: number
  bytes: number
  firstPath: string
  lastPath: string
}

/** Which part of the dataset a partial manifest covers (`--partition I/N`). */
export interface PartitionInfo {
  index: number
  count: number
  /** What was partitioned: sorted file paths (dir) or sorted tar shard names (tar-shards). */
  unit: 'file' | 'tar-shard'
  /** Total number of units in the whole dataset, as this worker listed it. */
  units: number
  /** SHA-256 over the full listing, so merge can prove that all workers saw the same dataset. */
  listingDigest: string
}

export interface DatasetHeader {
  manifestVersion: typeof MANIFEST_VERSION
  dataset: {name: string; version?: string}
  created: string
  hash: {file: DatasetHashAlgorithm; tree: 'sha256'; leafFormat: typeof LEAF_FORMAT}
  source: {format: SourceFormat}
  stats: {files: number; bytes: number}
  /** Entries per shard (a power of two, so the root does not depend on it). */
  shardEntries: number
  root: string
  /** in-toto dirHash1 of the same files (sha256 manifests only). */
  dirHash1?: string
  shards: ShardInfo[]
  /** Present only on partial manifests written by `--partition`. */
  partition?: PartitionInfo
}
