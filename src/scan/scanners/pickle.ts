/** The pickle scanner: bare pickles and legacy (pre-zip) torch.save files, recognised by content. */
import {readPickleFile} from '../../formats/pytorch/reader.js'
import {looksLikePickle} from '../../formats/sniff.js'
import {HEAD_BYTES, type FormatScanner} from '../format-scanner.js'
import {containerReport} from './reports.js'

export const pickleScanner: FormatScanner = {
  format: 'pickle',
  priority: 3,
  extensions: ['.pkl', '.pickle', '.joblib', '.pt', '.pth', '.ckpt'],
  // By content only: CPython starts a stream at any opcode, so the walk itself decides (a file
  // named .bin or .pt that starts with "(", "V" or "c" is a pickle when it walks like one).
  detect(head) {
    return looksLikePickle(head, head.length < HEAD_BYTES)
  },
  async scan(file, ctx) {
    return containerReport(file, await readPickleFile(file), ctx)
  },
}
