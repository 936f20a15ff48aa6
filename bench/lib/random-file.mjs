// Random bench data, written once and reused by later runs (same size = already there); written
// under a temporary name and renamed, so an interrupted run never leaves a short file behind.
import {randomFillSync} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export function makeRandomFile(file, size) {
  if (fs.existsSync(file) && fs.statSync(file).size === size) return
  fs.mkdirSync(path.dirname(file), {recursive: true})
  const fd = fs.openSync(`${file}.tmp`, 'w')
  const buf = Buffer.allocUnsafe(16 * 1024 * 1024)
  for (let done = 0; done < size; ) {
    const n = Math.min(buf.length, size - done)
    randomFillSync(buf, 0, n)
    fs.writeSync(fd, buf, 0, n)
    done += n
  }
  fs.closeSync(fd)
  fs.renameSync(`${file}.tmp`, file)
}
