/** Compressed wrappers and non-zip archives (gzip, zlib, tar, tar.gz), opened and scanned inside; 7z/bzip2/xz/zstd/rar are recognised and reported unsupported. */
import path from 'node:path'

import {analyzeContent, emptyResult, newBudget} from '../../formats/archive/reader.js'
import {sniffKind} from '../../formats/sniff.js'
import {FileSource} from '../../formats/tensor.js'
import type {FormatScanner} from '../format-scanner.js'
import {containerReport, errorReport} from './reports.js'

/** Largest archive/compressed file read into memory for analysis. */
export const MAX_ARCHIVE_FILE = 256 << 20

export const archiveScanner: FormatScanner = {
  format: 'archive',
  priority: 4,
  extensions: ['.gz', '.tgz', '.tar', '.z', '.bz2', '.xz', '.lzma', '.zst', '.7z', '.rar'],
  detect(head) {
    return ['gzip', 'zlib', 'tar', 'bzip2', 'xz', 'zstd', '7z', 'rar'].includes(sniffKind(head.subarray(0, 4096)))
  },
  async scan(file, ctx) {
    const src = await FileSource.open(file)
    let bytes: Uint8Array
    try {
      if (src.size > MAX_ARCHIVE_FILE)
        return errorReport(file, 'archive', 'E_ARCHIVE_TOO_LARGE', `archive of ${src.size} bytes is over the ${MAX_ARCHIVE_FILE}-byte analysis limit`)
      bytes = await src.read(0, src.size)
    } finally {
      await src.close()
    }
    const kind = sniffKind(bytes.subarray(0, 4096), bytes.length <= 4096)
    const out = await analyzeContent(bytes, path.basename(file), 0, newBudget(), emptyResult())
    const r = await containerReport(
      file,
      {
        format: 'zip',
        tensors: out.tensors,
        issues: out.issues,
        unsupported: out.unsupported,
        stats: {container: kind, members: out.members, pickles: out.pickles},
      },
      ctx,
    )
    r.format = kind === 'unknown' ? 'archive' : kind
    return r
  },
}
