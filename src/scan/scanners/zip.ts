/** The zip scanner: PyTorch zip checkpoints, .npz archives, and other zips (reported as unsupported). */
import {readNpz} from '../../formats/numpy/reader.js'
import {readTorchZip} from '../../formats/pytorch/reader.js'
import {FileSource} from '../../formats/tensor.js'
import {readZip} from '../../formats/zip/reader.js'
import type {FormatScanner} from '../format-scanner.js'
import {report, unsupportedReport, weightFindings} from './reports.js'

export const zipScanner: FormatScanner = {
  format: 'pytorch-zip',
  priority: 5,
  extensions: ['.pt', '.pth', '.ckpt', '.npz'],
  detect(head) {
    return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4
  },
  async scan(file, ctx) {
    const src = await FileSource.open(file)
    let names: string[]
    try {
      names = (await readZip(src)).entries.map((e) => e.name)
    } finally {
      await src.close()
    }
    if (names.some((n) => /\.pkl$/i.test(n))) {
      const t = await readTorchZip(file)
      return report(file, t.format, t.issues, await weightFindings(t.tensors, ctx), t.stats)
    }
    if (names.length && names.every((n) => /\.npy$/i.test(n))) {
      const z = await readNpz(file)
      return report(file, 'npz', z.issues, await weightFindings(z.tensors, ctx), z.stats)
    }
    const keras = names.includes('config.json') && names.some((n) => /\.weights\.h5$|metadata\.json$/.test(n))
    const what = keras ? 'Keras v3 (.keras) archive' : `zip archive without pickles or arrays (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`
    return unsupportedReport(file, keras ? 'keras' : 'zip', what)
  },
}
