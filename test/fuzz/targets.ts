/**
 * Fuzz targets: one per parser or decoder. Used by the coverage-guided fuzzer (fuzz/run.mjs, on
 * the build) and by the property tests and regression replays (test/fuzz/*.test.ts).
 *
 * A target "crashes" when its parser throws anything but modelseal's typed errors (ModelsealError
 * and subclasses). Parsers are imported lazily by path so that a target whose parser is not
 * there yet reports itself unavailable instead of breaking the build.
 */
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {ModelsealError} from '../../src/errors.js'

export interface Scratch {
  dir: string
  /** Writes `bytes` to `name` inside the scratch directory and returns its path. */
  write(name: string, bytes: Uint8Array): string
}
export type Runner = (input: Buffer, scratch: Scratch) => unknown
/** fuzz/lib/builders.mjs (plain JavaScript, loaded at run time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Builders = any

export interface FuzzTarget {
  name: string
  description: string
  /** binary: byte mutations only; json: also structure-aware JSON mutations; text: bytes + dictionary. */
  kind: 'binary' | 'json' | 'text'
  /** Files under testdata/ (and seedDirs) ending with one of these seed the corpus. */
  seedExtensions: string[]
  seedDirs?: string[]
  seeds(b: Builders): Buffer[] | Promise<Buffer[]>
  dict?: string[]
  /** The function under test, or a reason string when its parser is unavailable. */
  prepare(): Promise<Runner | string>
  /** Not a parser: left out of the default run and of the property tests. */
  hidden?: boolean
}

export function isTypedError(err: unknown): boolean {
  return err instanceof ModelsealError
}

/** Imports a module of this project by a path relative to this file; undefined when it does not exist. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function imp(rel: string): Promise<any> {
  const url = new URL(rel, import.meta.url).href
  try {
    return await import(url)
  } catch (err) {
    const code = (err as {code?: string}).code
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(path.basename(rel, '.js'))) return undefined
    throw err
  }
}

const missing = (what: string) => `${what} is not in the tree yet`

const ONNX_DICT = [
  'If',
  'Loop',
  'Scan',
  'Where',
  'Constant',
  'external_data',
  'location',
  'offset',
  'length',
  '../x',
  '/etc/passwd',
  '*/_ORT_MEM_ADDR_/*',
  'then_branch',
  'else_branch',
  'body',
  'com.microsoft',
  'ai.onnx.ml',
]

export const TARGETS: FuzzTarget[] = [
  {
    name: 'selftest',
    description: 'checks the fuzzer itself: a bug behind five nested byte comparisons that only coverage guidance reaches',
    kind: 'binary',
    hidden: true,
    seedExtensions: [],
    seeds: () => [Buffer.from('AAAAAAAAAAAA')],
    async prepare() {
      return (input) => {
        // one block per byte: blind mutation would need ~2^40 tries, coverage needs a few thousand
        if (input[0] === 0x4d) {
          if (input[1] === 0x53) {
            if (input[2] === 0x46) {
              if (input[3] === 0x5a) {
                if (input[4] === 0x7f) throw new TypeError('planted bug reached')
              }
            }
          }
        }
      }
    },
  },
  {
    name: 'onnx',
    description: 'ONNX protobuf reader: parse, summarise (inspect), walk and decode every tensor',
    kind: 'binary',
    seedExtensions: ['.onnx'],
    dict: ONNX_DICT,
    seeds: (b) => [b.onnxSmall(), b.onnxIfNest(3), b.onnxSmall({externalW: {location: 'w.bin', offset: 0, length: 32}})],
    async prepare() {
      const onnx = await imp('../../src/formats/onnx/index.js')
      if (!onnx) return missing('src/formats/onnx')
      return (input, scratch) => {
        const file = path.join(scratch.dir, 'model.onnx')
        const model = onnx.parseOnnxBuffer(input)
        onnx.summarizeOnnx(model, file)
        const src = new onnx.MemorySource(input)
        let n = 0
        for (const t of onnx.iterateOnnxTensors(model, src, file)) {
          if (++n > 10_000) break
          void t
        }
        for (const v of onnx.walkTensors(model)) {
          if (++n > 20_000) break
          if (!onnx.isExternal(v.tensor)) onnx.decodeValues(v.tensor, src, 4096)
        }
      }
    },
  },
  {
    name: 'scan',
    description: 'modelseal scan engine on one file (format detection, graph rules, weight checks)',
    kind: 'binary',
    seedExtensions: ['.onnx', '.safetensors', '.pt', '.pth', '.bin', '.ckpt', '.pkl', '.pickle', '.joblib', '.npy', '.npz', '.gguf'],
    dict: [...ONNX_DICT, 'GGUF', '\x93NUMPY', 'PK\x03\x04', '__metadata__', 'posix', 'system'],
    seeds: (b) => [b.onnxSmall(), b.safetensors([{name: 'w', dtype: 'F32', shape: [2, 2]}]), b.torchZip(), b.pickleMalicious(), b.npy(), b.gguf()],
    async prepare() {
      const engine = await imp('../../src/scan/engine.js')
      if (!engine) return missing('src/scan/engine.ts')
      return async (input, scratch) => {
        const file = scratch.write('input.bin', input)
        const {report} = await engine.scanPaths([file], {failOn: 'high', progress: false})
        // An internal error must never be dressed up as a scan result.
        for (const f of report.files) {
          if (f.status === 'error' && f.error?.code === 'E_INTERNAL') throw new Error(`scan reported an internal error: ${f.error.message}`)
        }
      }
    },
  },
  {
    name: 'safetensors',
    description: 'safetensors header and layout validation',
    kind: 'binary',
    seedExtensions: ['.safetensors'],
    dict: ['__metadata__', '"dtype"', '"shape"', '"data_offsets"', 'F32', 'BF16', 'F16', 'I64', '[0,0]', '[18446744073709551615]'],
    seeds: (b) => [
      b.safetensors(
        [
          {name: 'a', dtype: 'F32', shape: [2, 2]},
          {name: 'b', dtype: 'F16', shape: [3]},
        ],
        {metadata: {format: 'pt'}},
      ),
      b.safetensors([]),
    ],
    async prepare() {
      const st = await imp('../../src/formats/safetensors/reader.js')
      if (!st) return missing('src/formats/safetensors')
      return async (input, scratch) => {
        await st.readSafetensors(scratch.write('model.safetensors', input))
      }
    },
  },
  {
    name: 'pickle',
    description: 'pickle opcode walker (globals, memo, STACK_GLOBAL) — never unpickles',
    kind: 'binary',
    seedExtensions: ['.pkl', '.pickle', '.joblib'],
    dict: ['\x80\x02', '\x80\x04', 'cos\nsystem\n', 'cbuiltins\neval\n', '\x93', '\x94', '\x95', 'h\x00', 'j\x00\x00\x00\x00', 'R', '.', '(', 't', 'Q'],
    seeds: (b) => [b.pickleBenign(), b.pickleMalicious(), b.pickleTorchLike(), b.pickleNest(50)],
    async prepare() {
      const pk = await imp('../../src/formats/pickle/analyze.js')
      if (!pk) return missing('src/formats/pickle')
      return (input) => {
        pk.analyzePickle(input, {context: 'pickle'})
        pk.analyzePickle(input, {context: 'torch-legacy', expected: 5, maxPickles: 5})
      }
    },
  },
  {
    name: 'pytorch',
    description: 'PyTorch checkpoint reader (zip layout and legacy), including its zip reader',
    kind: 'binary',
    seedExtensions: ['.pt', '.pth', '.ckpt', '.bin'],
    dict: ['PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', 'PK\x06\x06', 'data.pkl', 'archive/', '../'],
    seeds: (b) => [b.torchZip(), b.torchZip(b.pickleMalicious()), b.zip([{name: 'archive/data.pkl', data: b.pickleTorchLike(), deflate: true}])],
    async prepare() {
      const pt = await imp('../../src/formats/pytorch/reader.js')
      if (!pt) return missing('src/formats/pytorch')
      return async (input, scratch) => {
        const file = scratch.write('model.pt', input)
        try {
          await pt.readTorchZip(file)
        } finally {
          await pt.readPickleFile(file).catch(rethrowUntyped)
        }
      }
    },
  },
  {
    name: 'zip',
    description: 'zip container reader (central directory, local headers, deflate, bombs)',
    kind: 'binary',
    seedExtensions: ['.zip', '.npz', '.pt', '.pth'],
    dict: ['PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', 'PK\x06\x06', 'PK\x06\x07', '\xff\xff\xff\xff'],
    seeds: (b) => [
      b.zip([
        {name: 'a.txt', data: 'hello'},
        {name: 'b/c.bin', data: Buffer.alloc(100, 7), deflate: true},
      ]),
      b.npz(),
    ],
    async prepare() {
      const zip = await imp('../../src/formats/zip/reader.js')
      const tensor = await imp('../../src/formats/tensor.js')
      if (!zip || !tensor) return missing('src/formats/zip')
      return async (input, scratch) => {
        const src = await tensor.FileSource.open(scratch.write('archive.zip', input))
        try {
          const archive = await zip.readZip(src)
          for (const e of archive.entries.slice(0, 64)) await zip.readMember(src, e, archive.issues, 1 << 20)
        } finally {
          await src.close()
        }
      }
    },
  },
  {
    name: 'numpy',
    description: 'NumPy .npy header parser and .npz archives',
    kind: 'binary',
    seedExtensions: ['.npy', '.npz'],
    dict: ["'descr'", "'fortran_order'", "'shape'", '<f4', '>f8', '|O', '<U10', 'True', '(', ')', ',', '99999999999'],
    seeds: (b) => [b.npy(), b.npy({descr: '<f8', shape: [3]}), b.npy({descr: '|O', shape: [1]}), b.npz()],
    async prepare() {
      const np = await imp('../../src/formats/numpy/reader.js')
      if (!np) return missing('src/formats/numpy')
      return async (input, scratch) => {
        np.parseNpyHeader(input)
        const file = scratch.write('a.npy', input)
        try {
          await np.readNpy(file)
        } finally {
          await np.readNpz(file).catch(rethrowUntyped)
        }
      }
    },
  },
  {
    name: 'gguf',
    description: 'GGUF header, metadata and tensor-info reader',
    kind: 'binary',
    seedExtensions: ['.gguf'],
    dict: ['GGUF', 'general.alignment', 'tokenizer.chat_template', '\x09\x00\x00\x00', '\x08\x00\x00\x00', '\xff\xff\xff\xff\xff\xff\xff\xff'],
    seeds: (b) => [
      b.gguf(),
      b.gguf({kv: {'general.architecture': 'llama', 'tokenizer.chat_template': '{{ messages }}', 'tokenizer.ggml.tokens': ['arr-str', ['a', 'b']]}}),
    ],
    async prepare() {
      const gg = await imp('../../src/formats/gguf/reader.js')
      const tpl = await imp('../../src/formats/gguf/template.js')
      if (!gg) return missing('src/formats/gguf')
      return async (input, scratch) => {
        await gg.readGguf(scratch.write('m.gguf', input))
        // the chat-template checker sees attacker text too
        if (tpl?.checkChatTemplate) tpl.checkChatTemplate('tokenizer.chat_template', input.toString('utf8'))
      }
    },
  },
  {
    name: 'tar',
    description: 'dataset tar reader (plain and gzip): traversal, links, devices, truncation',
    kind: 'binary',
    seedExtensions: ['.tar', '.tgz', '.tar.gz'],
    dict: ['ustar\x0000', 'ustar  \x00', '../', '/etc/passwd', 'PaxHeader', 'path=', '././@LongLink'],
    seeds: (b) => [
      b.tar([
        {name: 'a/b.txt', data: 'hello'},
        {name: 'c.bin', data: Buffer.alloc(700, 1)},
      ]),
      b.gzip(b.tar([{name: 'x', data: 'y'}])),
      b.tar([{name: 'l', type: '2', linkname: '../../etc/passwd'}]),
    ],
    async prepare() {
      const tar = await imp('../../src/dataset/tar.js')
      const problems = await imp('../../src/dataset/problems.js')
      if (!tar || !problems) return missing('src/dataset/tar.ts')
      const ProblemList = problems.ProblemList
      return async (input, scratch) => {
        const file = scratch.write('input.tar', input)
        let members = 0
        await tar.readTar(file, {
          algorithm: 'sha256',
          problems: new ProblemList(),
          skipped: [],
          label: 'input.tar',
          onMember: async () => {
            members++
          },
        })
        void members
      }
    },
  },
  {
    name: 'bundle',
    description: 'Sigstore bundle JSON: bounded JSON, bundle shape, DSSE envelope, key and certificate verification',
    kind: 'json',
    seedExtensions: ['.sig', '.bundle.json', '.sigstore.json'],
    seedDirs: ['../shared/oms-vectors'],
    dict: [
      '"mediaType"',
      '"dsseEnvelope"',
      '"verificationMaterial"',
      '"x509CertificateChain"',
      '"publicKey"',
      '"rawBytes"',
      'application/vnd.dev.sigstore.bundle.v0.3+json',
      'application/vnd.in-toto+json',
    ],
    seeds: (b) => [Buffer.from(JSON.stringify(b.bundleJson(b.omsStatement([{name: 'a', digest: '00'.repeat(32)}]))))],
    async prepare() {
      const bundle = await imp('../../src/signing/bundle.js')
      const signing = await imp('../../src/signing/index.js')
      if (!bundle || !signing) return missing('src/signing')
      const vectors = path.resolve(repoRootGuess(), '..', 'shared', 'oms-vectors', 'model-transparency', 'scripts', 'tests', 'keys')
      const pub = path.join(vectors, 'certificate', 'signing-key-pub.pem')
      const ca = path.join(vectors, 'certificate', 'ca-cert.pem')
      const haveKeys = existsFile(pub) && existsFile(ca)
      return async (input) => {
        const json = bundle.parseBoundedJson(input, 'bundle')
        bundle.parseBundle(json)
        if (!haveKeys) return
        await signing.verifyBundle(json, {method: 'key', publicKeyPath: pub}).catch(rethrowUntyped)
        await signing.verifyBundle(json, {method: 'certificate', certificateChainPaths: [ca]}).catch(rethrowUntyped)
      }
    },
  },
  {
    name: 'statement',
    description: 'in-toto statements inside DSSE payloads: OMS predicate (model signature) and dataset statement',
    kind: 'json',
    seedExtensions: [],
    dict: [
      '"_type"',
      '"predicateType"',
      '"resources"',
      '"serialization"',
      '"shard_size"',
      'https://model_signing/signature/v1.0',
      'https://model_signing/Digests/v0.1',
      'sha256-sharded-1000',
      'files',
      'shards',
      'a:0:10',
      '../x',
      '/abs',
      'a\\b',
    ],
    seeds: (b) => [
      Buffer.from(
        JSON.stringify(
          b.omsStatement([
            {name: 'a.bin', digest: '11'.repeat(32)},
            {name: 'dir/b.bin', digest: '22'.repeat(32)},
          ]),
        ),
      ),
      Buffer.from(JSON.stringify(b.omsStatement([{name: 'a.bin:0:10', digest: '11'.repeat(32)}], {method: 'shards'}))),
    ],
    async prepare() {
      const oms = await imp('../../src/oms/statement.js')
      if (!oms) return missing('src/oms/statement.ts')
      const ds = await imp('../../src/dataset/statement.js')
      return (input) => {
        try {
          oms.parseStatement(input)
        } finally {
          if (ds?.parseStatement) {
            try {
              ds.parseStatement(input)
            } catch (err) {
              rethrowUntyped(err)
            }
          }
        }
      }
    },
  },
  {
    name: 'policy',
    description: 'policy YAML: bounded YAML source, schema validation, lint',
    kind: 'text',
    seedExtensions: ['.yaml', '.yml'],
    seedDirs: ['policies'],
    dict: [
      'apiVersion: ',
      'kind: ',
      '&a ',
      '*a',
      '<<: *a',
      '!!binary ',
      '!!js/function',
      '---\n',
      '%YAML 1.1\n',
      '- ',
      ': ',
      '{',
      '}',
      '[',
      ']',
      '\n  ',
      'expires: ',
      'waivers:',
      'regexp: ',
      '.*',
      '(a+)+$',
    ],
    seeds: () => [Buffer.from('apiVersion: modelseal.dev/v1\nkind: Policy\nmetadata:\n  name: x\nmode: enforce\n')],
    async prepare() {
      const load = await imp('../../src/policy/load.js')
      const lint = await imp('../../src/policy/lint.js')
      if (!load) return missing('src/policy/load.ts')
      return (input, scratch) => {
        const file = scratch.write('policy.yaml', input)
        try {
          load.inspectPolicy(file)
        } finally {
          if (lint?.lintPolicy) {
            try {
              lint.lintPolicy(file, new Date('2026-01-01T00:00:00Z'))
            } catch (err) {
              rethrowUntyped(err)
            }
          }
        }
      }
    },
  },
  {
    name: 'dataset-manifest',
    description: 'dataset manifest header (manifest.json) and JSONL shards',
    kind: 'json',
    seedExtensions: [],
    seedDirs: [],
    dict: ['"manifestVersion"', '"shards"', '"root"', '"path"', '"size"', '../x', '/abs', '\n'],
    async seeds() {
      const ds = await sampleDataset()
      return ds ? [ds.manifestText] : []
    },
    async prepare() {
      const header = await imp('../../src/dataset/header.js')
      const reader = await imp('../../src/dataset/reader.js')
      if (!header || !reader) return missing('src/dataset/header.ts')
      const ds = await sampleDataset()
      return async (input, scratch) => {
        // the real manifest's shard files sit beside the fuzzed manifest.json
        if (ds && !existsFile(path.join(scratch.dir, '.shards-copied'))) {
          cpSync(ds.outDir, scratch.dir, {recursive: true})
          writeFileSync(path.join(scratch.dir, '.shards-copied'), '')
        }
        const file = scratch.write('manifest.json', input)
        const loaded = await header.loadManifest(file)
        // shards named by a hostile header must resolve inside the manifest directory
        for await (const e of reader.manifestEntries(loaded.dir, loaded.header)) void e
      }
    },
  },
]

let datasetSample: Promise<{outDir: string; manifestText: Buffer} | undefined> | undefined
/** A real manifest (3 files, 2 per shard) made once by src/dataset, to seed the manifest target. */
function sampleDataset(): Promise<{outDir: string; manifestText: Buffer} | undefined> {
  datasetSample ??= (async () => {
    const ds = await imp('../../src/dataset/index.js')
    if (!ds?.createManifest) return undefined
    const base = mkdtempSync(path.join(tmpdir(), 'modelseal-fuzz-ds-'))
    const src = path.join(base, 'data')
    mkdirSync(path.join(src, 'sub'), {recursive: true})
    writeFileSync(path.join(src, 'a.txt'), 'alpha')
    writeFileSync(path.join(src, 'b.bin'), Buffer.alloc(300, 7))
    writeFileSync(path.join(src, 'sub', 'c.txt'), 'gamma')
    const outDir = path.join(base, 'manifest')
    await ds.createManifest(src, {output: outDir, name: 'fuzz', version: '1', shardEntries: 2, created: new Date('2026-01-01T00:00:00Z'), workers: 1})
    return {outDir, manifestText: readFileSync(path.join(outDir, 'manifest.json'))}
  })().catch(() => undefined)
  return datasetSample
}

function rethrowUntyped(err: unknown): void {
  if (!isTypedError(err)) throw err
}

function existsFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function repoRootGuess(): string {
  // dist/test/fuzz/targets.js or test/fuzz/targets.ts
  let dir = path.dirname(new URL(import.meta.url).pathname)
  for (let i = 0; i < 5; i++) {
    if (existsFile(path.join(dir, 'package.json'))) return dir
    dir = path.dirname(dir)
  }
  return process.cwd()
}

/** Seed files for a target from testdata/ (never the generated hostile corpus) and its seedDirs. */
export function testdataSeeds(t: FuzzTarget, root: string, {maxFiles = 40, maxBytes = 1 << 20} = {}): Buffer[] {
  const out: Buffer[] = []
  const dirs = ['testdata', ...(t.seedDirs ?? [])].map((d) => path.resolve(root, d))
  const walk = (dir: string, depth: number) => {
    if (depth > 8 || out.length >= maxFiles) return
    let names: string[]
    try {
      names = readdirSync(dir).sort()
    } catch {
      return
    }
    for (const n of names) {
      if (out.length >= maxFiles) return
      // regressions/ holds known-slow inputs: replayed by regressions.test.ts, not mutated here
      if (n === 'hostile' || n === 'regressions' || n === 'node_modules' || n.startsWith('.')) continue
      const p = path.join(dir, n)
      let st
      try {
        st = statSync(p)
      } catch {
        continue
      }
      if (st.isDirectory()) walk(p, depth + 1)
      else if (st.isFile() && st.size <= maxBytes && t.seedExtensions.some((e) => n.endsWith(e))) out.push(readFileSync(p))
    }
  }
  for (const d of dirs) walk(d, 0)
  return out
}

/** Loads fuzz/lib/builders.mjs from the repository root. */
export async function loadBuilders(root: string): Promise<Builders> {
  return import(pathToFileURL(path.join(root, 'fuzz', 'lib', 'builders.mjs')).href)
}
