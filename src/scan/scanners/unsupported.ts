/** Formats recognised but not analysed (HDF5, TFLite, SavedModel, legacy GGML) and executables posing as model files. */
import path from 'node:path'

import {readFileHead} from '../../io/index.js'
import {findSignatures} from '../weights/signatures.js'
import type {FormatScanner} from '../format-scanner.js'
import {unsupportedReport} from './reports.js'

/** Magic → description, for formats recognised but not analysed. */
const UNSUPPORTED: Array<[(h: Buffer, f: string) => boolean, string, string]> = [
  [
    (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])),
    'hdf5',
    'HDF5 file (Keras H5 models can carry Lambda-layer code)',
  ],
  [(h) => h.subarray(4, 8).toString('latin1') === 'TFL3', 'tflite', 'TensorFlow Lite flatbuffer'],
  [
    (_h, f) => path.basename(f) === 'saved_model.pb' || path.basename(f) === 'saved_model.pbtxt',
    'tf-savedmodel',
    'TensorFlow SavedModel graph (can call ReadFile/WriteFile ops)',
  ],
  [(h) => ['lmgg', 'fmgg', 'tjgg', 'algg', 'asgg'].includes(h.subarray(0, 4).toString('latin1')), 'ggml-legacy', 'legacy GGML/GGMF/GGJT model (pre-GGUF)'],
  [
    (_h, f) => /\.(mlmodel|msgpack|pdparams|caffemodel|nemo|mar|engine|plan|keras|h5|hdf5|tflite)$/.test(f.toLowerCase()),
    'unknown',
    'model file in a format modelseal does not analyse',
  ],
]

export const unsupportedScanner: FormatScanner = {
  format: 'unsupported',
  priority: -50,
  detect(head, file) {
    return executableKind(head) !== null || UNSUPPORTED.some(([m]) => m(head, file))
  },
  async scan(file) {
    const {head} = readFileHead(file, 512, {followSymlinks: true})
    const exe = executableKind(head)
    if (exe) {
      return unsupportedReport(file, 'executable', `${exe}`, [
        {
          id: 'MS-UN002',
          category: 'embedded-payload',
          severity: 'high',
          title: 'Executable file in model set',
          message: `the file is a ${exe}, not a model`,
          location: {byteStart: 0},
        },
      ])
    }
    const hit = UNSUPPORTED.find(([m]) => m(head, file))!
    return unsupportedReport(file, hit[1], hit[2])
  },
}

function executableKind(h: Buffer): string | null {
  const sig = findSignatures(new Uint8Array(h.buffer, h.byteOffset, Math.min(h.length, 4160)), 0, 1)[0]
  if (sig && sig.offset === 0 && (sig.kind === 'elf' || sig.kind === 'pe' || sig.kind === 'macho' || sig.kind === 'script')) return sig.detail
  return null
}
