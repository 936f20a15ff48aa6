/**
 * The zip scanner: PyTorch zip checkpoints, .npz archives and any other zip — recognised by a
 * local header at offset 0 or, as Python's zipfile does, by an end record at the end of the file
 * whatever precedes it. Every member is analysed by content (a pickle under any name is a pickle).
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

import {readNpz} from '../../formats/numpy/reader.js'
import {readTorchZip} from '../../formats/pytorch/reader.js'
import {endsWithZipRecord, ZIP_TAIL} from '../../formats/sniff.js'
import {FileSource} from '../../formats/tensor.js'
import {readZip} from '../../formats/zip/reader.js'
import type {FormatScanner} from '../format-scanner.js'
import {containerReport, report, unsupportedReport, weightFindings} from './reports.js'

/** True when the file ends with a zip end-of-central-directory record (and its comment). */
function endsWithZip(file: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    const n = Math.min(size, ZIP_TAIL)
    if (n < 22) return false
    const tail = Buffer.alloc(n)
    readSync(fd, tail, 0, n, size - n)
    return endsWithZipRecord(tail)
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export const zipScanner: FormatScanner = {
  format: 'pytorch-zip',
  priority: 5,
  extensions: ['.pt', '.pth', '.ckpt', '.npz', '.zip'],
  detect(head, file) {
    if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return true
    return endsWithZip(file)
  },
  async scan(file, ctx) {
    const src = await FileSource.open(file)
    let names: string[]
    let prefix: number
    try {
      const z = await readZip(src)
      names = z.entries.map((e) => e.name)
      prefix = z.prefix
    } finally {
      await src.close()
    }
    if (prefix === 0 && names.length && names.every((n) => /\.npy$/i.test(n))) {
      const z = await readNpz(file)
      return report(file, 'npz', z.issues, await weightFindings(z.tensors, ctx), z.stats)
    }
    const keras = names.includes('config.json') && names.some((n) => /\.weights\.h5$|metadata\.json$/.test(n))
    if (keras) return unsupportedReport(file, 'keras', 'Keras v3 (.keras) archive')
    return containerReport(file, await readTorchZip(file), ctx)
  },
}
