/**
 * Bounds for everything a dataset manifest or archive can make modelseal do. Manifests and tars
 * come from untrusted places; each limit is far above any real dataset's needs and far below
 * what would exhaust memory.
 */
/** Largest manifest.json (the header grows by ~400 bytes per shard). */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024
/** Deepest JSON nesting accepted in a header or a manifest line. */
export const MAX_JSON_DEPTH = 32
export const MAX_SHARDS = 200_000
/** Entries per shard: a power of two, at most 2^18 (a decompressed shard stays under ~64 MiB). */
export const DEFAULT_SHARD_ENTRIES = 65_536
export const MAX_SHARD_ENTRIES = 262_144
/** Longest JSONL line: a 4096-byte path, fully escaped, plus the other fields. */
export const MAX_LINE_BYTES = 16_384
export const MAX_SHARD_COMPRESSED_BYTES = 512 * 1024 * 1024
/** Largest dataset file size a manifest may claim (JSON numbers are exact up to 2^53-1). */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER
/** Files in one directory walk or archive (the sorted listing is held in memory). */
export const MAX_FILES = 50_000_000
/**
 * Distinct directories (and directory or link members) in the tars of one dataset: their names
 * are kept in memory for the name-collision checks, unlike file names (sorted on disk).
 */
export const MAX_TAR_DIRECTORIES = 5_000_000
/** Directory nesting below the dataset root. */
export const MAX_DIR_DEPTH = 512
/** Partitions of one dataset. */
export const MAX_PARTITIONS = 100_000
/** Problems (unsafe entries, ...) listed in an error before the rest are only counted. */
export const MAX_LISTED_PROBLEMS = 50
/** Entries kept in memory per run of the external sort (tar sources). */
export const SORT_RUN_ENTRIES = 200_000
/** Added/removed files kept in memory to detect renames; beyond that only counts. */
export const MAX_RENAME_CANDIDATES = 200_000
/** Files listed per kind of change in a verify report unless --max-list says otherwise. */
export const DEFAULT_LIST_LIMIT = 100
