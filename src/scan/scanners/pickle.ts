/** The pickle scanner: bare pickles and legacy (pre-zip) torch.save files. */
import {isPickleStart, readPickleFile} from '../../formats/pytorch/reader.js'
import type {FormatScanner} from '../format-scanner.js'
import {report, weightFindings} from './reports.js'

export const pickleScanner: FormatScanner = {
  format: 'pickle',
  priority: 3,
  // Not .bin/.dat: raw ONNX external-data files use those names and are no pickles.
  extensions: ['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt'],
  detect(head, file) {
    if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return true
    // Protocol 0: a GLOBAL as first opcode is how the classic "cos\nsystem\n" payload starts.
    if (/^c[A-Za-z_][\w.]{0,100}\n[A-Za-z_][\w.]{0,100}\n/.test(head.subarray(0, 220).toString('latin1'))) return true
    return isPickleStart(head) && /\.(pkl|pickle|joblib|pt|pth|ckpt)$/.test(file.toLowerCase())
  },
  async scan(file, ctx) {
    const t = await readPickleFile(file)
    return report(file, t.format, t.issues, await weightFindings(t.tensors, ctx), t.stats)
  },
}
