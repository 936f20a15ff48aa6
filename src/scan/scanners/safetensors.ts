/** The safetensors scanner: header checks, metadata strings, a zip polyglot tail, weight checks. */
import {MAX_HEADER_SIZE, readSafetensors} from '../../formats/safetensors/reader.js'
import {FileSource, type TensorView} from '../../formats/tensor.js'
import type {FormatScanner} from '../format-scanner.js'
import type {Finding} from '../types.js'
import {errorReport, issueToFinding, report, stringFindings, weightFindings} from './reports.js'

export const safetensorsScanner: FormatScanner = {
  format: 'safetensors',
  priority: 10,
  extensions: ['.safetensors'],
  detect(head) {
    if (head.length < 10) return false
    const n = head.readBigUInt64LE(0)
    if (n < 2n || n > BigInt(MAX_HEADER_SIZE)) return false
    let i = 8
    while (i < head.length && head[i] === 0x20) i++
    return head[i] === 0x7b && (head[i + 1] === 0x22 || head[i + 1] === 0x7d || head[i + 1] === 0x20 || head[i + 1] === 0x0a)
  },
  async scan(file, ctx) {
    const info = await readSafetensors(file)
    if (!info.headerOk)
      return errorReport(file, 'safetensors', 'E_SAFETENSORS_HEADER', info.issues[0]?.message ?? 'unreadable header', info.issues.map(issueToFinding))
    const holes: TensorView[] = info.unreferenced.map(([s, e]) => ({
      name: `(unreferenced bytes ${s}-${e})`,
      dtype: 'u8',
      shape: [e - s],
      byteOffset: s,
      byteLength: e - s,
      file,
    }))
    const extra = [
      ...stringFindings('MS-ST008', Object.entries(info.metadata ?? {})),
      ...(await zipTail(file, info.fileSize)),
      ...(await weightFindings([...info.tensors, ...holes], ctx)),
    ]
    return report(file, 'safetensors', info.issues, extra, {
      tensors: info.tensorCount,
      headerBytes: info.headerLength,
      bytesChecked: info.tensors.reduce((s, t) => s + t.byteLength, 0),
    })
  },
}

/** A zip end record ending the file makes it a zip too (polyglot; MS-ST011). */
async function zipTail(file: string, size: number): Promise<Finding[]> {
  const src = await FileSource.open(file)
  try {
    const n = Math.min(size, 65_557)
    const tail = await src.read(size - n, n)
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6 && i + 22 + (tail[i + 20] | (tail[i + 21] << 8)) === tail.length) {
        return [
          {
            id: 'MS-ST011',
            category: 'format-violation',
            severity: 'high',
            title: 'Zip polyglot',
            message: 'a zip end-of-central-directory record ends the file: zip readers see an archive inside it',
            location: {byteStart: size - n + i, byteEnd: size},
          },
        ]
      }
    }
    return []
  } finally {
    await src.close()
  }
}
