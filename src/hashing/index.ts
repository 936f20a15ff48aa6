/** The hashing engine: algorithms, streaming file/range hashing, the worker pool, batch hashing. */
export {createHasher, DIGEST_LENGTH, HASH_ALGORITHMS, hashBytes, isHashAlgorithm, parseHashAlgorithm} from './algorithms.js'
export type {HashAlgorithm, Hasher} from './algorithms.js'
export {hashFile, hashFileRange, hashTask, READ_CHUNK_SIZE} from './file.js'
export type {HashResult, HashTask, HashTaskOptions} from './file.js'
export {defaultPoolSize, HashPool, withHashPool} from './pool.js'
export type {HashPoolOptions} from './pool.js'
export {hashFiles, hashMany} from './batch.js'
export type {HashManyOptions} from './batch.js'
