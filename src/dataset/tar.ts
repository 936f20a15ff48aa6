/**
 * Reads the members of a .tar / .tar.gz as a stream with tar-stream — never extracted, never
 * written to disk. Each regular member is hashed as it streams past. Absolute and '..' names,
 * non-UTF-8 names, devices, FIFOs and unknown entry types are refused; hard and symbolic links
 * are refused unless allowed, and then skipped (a stream cannot follow them safely).
 * A truncated archive (cut inside a member, or missing its end-of-archive blocks) is an error.
 */
import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {Transform, type TransformCallback} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import tar from 'tar-stream'

import {InputError} from '../errors.js'
import {createHasher} from '../hashing/algorithms.js'
import {MAX_FILES} from './limits.js'
import {decodeUtf8, pathProblem} from './paths.js'
import type {ProblemList} from './problems.js'
import type {DatasetEntry, DatasetHashAlgorithm} from './types.js'

const BLOCK = 512
const READ_CHUNK = 1 << 20

export interface TarReadOptions {
  algorithm: DatasetHashAlgorithm
  allowLinks?: boolean
  /** Members for which this returns false are not listed (their bodies are skipped unread). */
  select?: (path: string) => boolean
  problems: ProblemList
  /** Link members skipped because --allow-links was given. */
  skipped: string[]
  onMember: (m: DatasetEntry) => Promise<void>
  /** Name of this archive in messages (e.g. the shard file name). */
  label: string
}

export async function isGzipFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r')
  try {
    const b = Buffer.alloc(2)
    const {bytesRead} = await fh.read(b, 0, 2, 0)
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b
  } finally {
    await fh.close()
  }
}

/** Counts the bytes of the (decompressed) tar stream, to find a missing end-of-archive marker. */
class ByteCounter extends Transform {
  bytes = 0
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length
    cb(null, chunk)
  }
}

/** The member name as a canonical path candidate, or a reason to refuse it. */
function memberName(h: tar.Header): {name?: string; problem?: string; raw: string} {
  // ustar and GNU names were decoded as latin1 (byte-preserving), so decode them as strict
  // UTF-8 here; pax paths were already decoded as UTF-8 (bad bytes show up as U+FFFD).
  const fromPax = typeof (h.pax as Record<string, string> | undefined)?.path === 'string'
  const decoded = fromPax ? h.name : decodeUtf8(Buffer.from(h.name, 'latin1'))
  if (decoded === undefined) return {problem: 'name is not valid UTF-8', raw: Buffer.from(h.name, 'latin1').toString('hex')}
  let name = decoded
  while (name.startsWith('./')) name = name.slice(2)
  if (h.type === 'directory') name = name.replace(/\/+$/, '')
  return {name, raw: decoded}
}

export async function readTar(file: string, opts: TarReadOptions): Promise<void> {
  const gz = await isGzipFile(file)
  const extract = tar.extract({filenameEncoding: 'latin1'} as Parameters<typeof tar.extract>[0])
  const counter = new ByteCounter()
  const src = createReadStream(file, {highWaterMark: READ_CHUNK})
  const feeding = (gz ? pipeline(src, createGunzip(), counter, extract) : pipeline(src, counter, extract)).catch((err) => err as Error)
  let lastEnd = 0
  let members = 0
  try {
    for await (const entry of extract) {
      const h = entry.header
      lastEnd = (h as unknown as {byteOffset: number}).byteOffset + Math.ceil((h.size ?? 0) / BLOCK) * BLOCK
      if (++members > MAX_FILES) throw new InputError('E_DATASET_TOO_MANY_FILES', `${opts.label}: more than ${MAX_FILES} members`)
      const {name, problem, raw} = memberName(h)
      const where = name ?? raw
      const why = problem ?? (h.type === 'directory' && name === '' ? undefined : pathProblem(name!))
      if (why) {
        opts.problems.add(where, why)
        entry.resume()
        continue
      }
      switch (h.type) {
        case 'file':
        case 'contiguous-file':
          break
        case 'directory':
          entry.resume()
          continue
        case 'symlink':
        case 'link':
          if (opts.allowLinks) opts.skipped.push(where)
          else opts.problems.add(where, `${h.type === 'link' ? 'hard' : 'symbolic'} link to ${JSON.stringify(h.linkname)} (use --allow-links to skip links)`)
          entry.resume()
          continue
        default:
          opts.problems.add(where, `unsupported member type "${h.type ?? 'unknown'}" (devices, FIFOs and unknown types are refused)`)
          entry.resume()
          continue
      }
      if (opts.select && !opts.select(name!)) {
        entry.resume()
        continue
      }
      const hasher = await createHasher(opts.algorithm)
      let size = 0
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        hasher.update(chunk)
        size += chunk.length
      }
      await opts.onMember({path: name!, size, digest: hasher.digest().toString('hex')})
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError('E_DATASET_TAR_MALFORMED', `${opts.label}: malformed tar archive (${(err as Error).message})`)
  }
  const failure = await feeding
  if (failure) throw new InputError('E_DATASET_TAR_MALFORMED', `${opts.label}: malformed or truncated archive (${failure.message})`)
  // Two zero blocks end a tar; an archive cut at a member boundary lacks them.
  if (counter.bytes < lastEnd + 2 * BLOCK) throw new InputError('E_DATASET_TAR_MALFORMED', `${opts.label}: truncated archive (no end-of-archive marker)`)
}
