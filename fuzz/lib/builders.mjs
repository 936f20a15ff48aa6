// Small, dependency-free writers for every input format modelseal parses. They make fuzz seeds and
// the hostile corpus (testdata/make-hostile.mjs): valid files to mutate, and deliberately broken
// ones (bombs, traversal, huge declared sizes) that a reader must refuse without crashing.
// Plain JavaScript so the generator runs without a build; tests load it through a dynamic import.
import {createHash} from 'node:crypto'
import zlib from 'node:zlib'

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32): the same seed always gives the same corpus.
export function rng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n),
    bytes: (n) => {
      const b = Buffer.alloc(n)
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256)
      return b
    },
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  }
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format (enough for ONNX ModelProto).
export function varint(n) {
  let v = BigInt.asUintN(64, BigInt(n))
  const out = []
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v) b |= 0x80
    out.push(b)
  } while (v)
  return Buffer.from(out)
}
const key = (field, wire) => varint((field << 3) | wire)
export const pb = {
  int: (field, n) => Buffer.concat([key(field, 0), varint(n)]),
  bytes: (field, b) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b
    return Buffer.concat([key(field, 2), varint(buf.length), buf])
  },
  msg: (field, ...parts) => pb.bytes(field, Buffer.concat(parts)),
  f32: (field, x) => {
    const b = Buffer.alloc(4)
    b.writeFloatLE(x)
    return Buffer.concat([key(field, 5), b])
  },
}

/** ONNX TensorProto (float32 raw data unless `raw` or `external` given). */
export function onnxTensor({name, dims = [], dataType = 1, raw, external, floats}) {
  const parts = [...dims.map((d) => pb.int(1, d)), pb.int(2, dataType), pb.bytes(8, name)]
  if (floats) {
    const b = Buffer.alloc(floats.length * 4)
    floats.forEach((x, i) => b.writeFloatLE(x, i * 4))
    parts.push(pb.bytes(9, b))
  }
  if (raw) parts.push(pb.bytes(9, raw))
  if (external) {
    for (const [k, v] of Object.entries(external)) parts.push(pb.msg(13, pb.bytes(1, k), pb.bytes(2, String(v))))
    parts.push(pb.int(14, 1))
  }
  return Buffer.concat(parts)
}
export function onnxValueInfo(name, dims = [1], elemType = 1) {
  const shape = Buffer.concat(dims.map((d) => pb.msg(1, typeof d === 'string' ? pb.bytes(2, d) : pb.int(1, d))))
  return Buffer.concat([pb.bytes(1, name), pb.msg(2, pb.msg(1, pb.int(1, elemType), pb.bytes(2, shape)))])
}
export function onnxNode({op, inputs = [], outputs = [], name = '', domain, attrs = []}) {
  return Buffer.concat([
    ...inputs.map((i) => pb.bytes(1, i)),
    ...outputs.map((o) => pb.bytes(2, o)),
    pb.bytes(3, name || `${op}_${outputs[0] ?? ''}`),
    pb.bytes(4, op),
    ...(domain !== undefined ? [pb.bytes(7, domain)] : []),
    ...attrs.map((a) => pb.bytes(5, a)),
  ])
}
export const onnxAttr = {
  graph: (name, g) => Buffer.concat([pb.bytes(1, name), pb.int(20, 5), pb.bytes(6, g)]),
  int: (name, i) => Buffer.concat([pb.bytes(1, name), pb.int(20, 2), pb.int(3, i)]),
  tensor: (name, t) => Buffer.concat([pb.bytes(1, name), pb.int(20, 4), pb.bytes(5, t)]),
}
export function onnxGraph({name = 'g', nodes = [], initializers = [], inputs = [], outputs = []}) {
  return Buffer.concat([
    ...nodes.map((n) => pb.bytes(1, n)),
    pb.bytes(2, name),
    ...initializers.map((t) => pb.bytes(5, t)),
    ...inputs.map((v) => pb.bytes(11, v)),
    ...outputs.map((v) => pb.bytes(12, v)),
  ])
}
export function onnxModel(graph, {irVersion = 8, opset = 17, producer = 'modelseal-fuzz'} = {}) {
  return Buffer.concat([pb.int(1, irVersion), pb.bytes(2, producer), pb.msg(8, pb.bytes(1, ''), pb.int(2, opset)), pb.bytes(7, graph)])
}
/** A tiny valid model: y = x · W + b (MatMul, Add) with float32 initializers. */
export function onnxSmall({externalW} = {}) {
  const W = externalW
    ? onnxTensor({name: 'W', dims: [4, 2], external: externalW})
    : onnxTensor({name: 'W', dims: [4, 2], floats: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]})
  const g = onnxGraph({
    name: 'main',
    nodes: [onnxNode({op: 'MatMul', inputs: ['x', 'W'], outputs: ['h']}), onnxNode({op: 'Add', inputs: ['h', 'b'], outputs: ['y']})],
    initializers: [W, onnxTensor({name: 'b', dims: [2], floats: [0.01, -0.02]})],
    inputs: [onnxValueInfo('x', [1, 4])],
    outputs: [onnxValueInfo('y', [1, 2])],
  })
  return onnxModel(g)
}
/** `If` nodes nested `depth` deep, each then-branch holding the next If. */
export function onnxIfNest(depth) {
  let inner = onnxGraph({name: 'leaf', nodes: [onnxNode({op: 'Identity', inputs: ['x'], outputs: ['y']})], outputs: [onnxValueInfo('y')]})
  for (let i = 0; i < depth; i++) {
    const node = onnxNode({
      op: 'If',
      inputs: ['c'],
      outputs: ['y'],
      attrs: [onnxAttr.graph('then_branch', inner), onnxAttr.graph('else_branch', inner.subarray(0, 0))],
    })
    inner = onnxGraph({name: `n${i}`, nodes: [node], outputs: [onnxValueInfo('y')]})
  }
  return onnxModel(Buffer.concat([inner, pb.bytes(11, onnxValueInfo('c', [1], 9))]))
}

// ---------------------------------------------------------------------------------------------
// safetensors
export function safetensors(tensors, {metadata, headerPatch} = {}) {
  const header = {}
  if (metadata) header.__metadata__ = metadata
  let off = 0
  const datas = []
  for (const t of tensors) {
    const data = t.data ?? Buffer.alloc(t.shape.reduce((a, b) => a * b, 1) * dtypeSize(t.dtype))
    header[t.name] = {dtype: t.dtype, shape: t.shape, data_offsets: t.offsets ?? [off, off + data.length]}
    off += data.length
    datas.push(data)
  }
  let json = JSON.stringify(headerPatch ? headerPatch(header) : header)
  while (json.length % 8) json += ' '
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  return Buffer.concat([len, Buffer.from(json), ...datas])
}
function dtypeSize(d) {
  return {F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1}[d] ?? 4
}
export function f32(values) {
  const b = Buffer.alloc(values.length * 4)
  values.forEach((x, i) => b.writeFloatLE(x, i * 4))
  return b
}

// ---------------------------------------------------------------------------------------------
// NumPy .npy (v1.0)
export function npy({descr = '<f4', shape = [2, 2], data, fortran = false, headerText} = {}) {
  let h =
    headerText ?? `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const pad = 64 - ((10 + h.length + 1) % 64)
  h = h + ' '.repeat(pad % 64) + '\n'
  const pre = Buffer.alloc(10)
  Buffer.from('\x93NUMPY', 'latin1').copy(pre)
  pre[6] = 1
  pre[7] = 0
  pre.writeUInt16LE(h.length, 8)
  const body = data ?? Buffer.alloc(shape.reduce((a, b) => a * b, 1) * 4)
  return Buffer.concat([pre, Buffer.from(h, 'latin1'), body])
}

// ---------------------------------------------------------------------------------------------
// Pickle (protocol 2..4 opcodes written by hand; never executed anywhere).
export const pk = {
  proto: (n) => Buffer.from([0x80, n]),
  global: (mod, name) => Buffer.from(`c${mod}\n${name}\n`, 'latin1'),
  shortUnicode: (s) => Buffer.concat([Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s)]),
  stackGlobal: Buffer.from([0x93]),
  memoize: Buffer.from([0x94]),
  binget: (i) => Buffer.from([0x68, i]),
  emptyTuple: Buffer.from([0x29]),
  tuple1: Buffer.from([0x85]),
  reduce: Buffer.from([0x52]),
  mark: Buffer.from([0x28]),
  emptyDict: Buffer.from([0x7d]),
  emptyList: Buffer.from([0x5d]),
  appends: Buffer.from([0x65]),
  setitems: Buffer.from([0x75]),
  binint1: (n) => Buffer.from([0x4b, n]),
  none: Buffer.from([0x4e]),
  stop: Buffer.from([0x2e]),
  frame: (n) => {
    const b = Buffer.alloc(9)
    b[0] = 0x95
    b.writeBigUInt64LE(BigInt(n), 1)
    return b
  },
}
/** A benign pickle: {'a': [1, 2], 'b': None} */
export function pickleBenign() {
  return Buffer.concat([
    pk.proto(4),
    pk.emptyDict,
    pk.mark,
    pk.shortUnicode('a'),
    pk.emptyList,
    pk.mark,
    pk.binint1(1),
    pk.binint1(2),
    pk.appends,
    pk.shortUnicode('b'),
    pk.none,
    pk.setitems,
    pk.stop,
  ])
}
/** os.system('true') through STACK_GLOBAL with memo indirection (parsed, never run). */
export function pickleMalicious() {
  return Buffer.concat([
    pk.proto(4),
    pk.shortUnicode('os'),
    pk.memoize,
    pk.shortUnicode('system'),
    pk.memoize,
    pk.binget(0),
    pk.binget(1),
    pk.stackGlobal,
    pk.shortUnicode('true'),
    pk.tuple1,
    pk.reduce,
    pk.stop,
  ])
}
/** Lists nested `depth` deep ([[[...]]]: EMPTY_LIST × depth, APPEND × depth-1): valid, benign, deep. */
export function pickleNest(depth) {
  return Buffer.concat([pk.proto(2), Buffer.alloc(depth, 0x5d), Buffer.alloc(depth - 1, 0x61), pk.stop])
}
/** Torch-style checkpoint: OrderedDict of a rebuilt tensor (globals a weights-only loader allows). */
export function pickleTorchLike() {
  return Buffer.concat([
    pk.proto(2),
    pk.global('collections', 'OrderedDict'),
    pk.emptyTuple,
    pk.reduce,
    pk.mark,
    pk.shortUnicode('w'),
    pk.global('torch._utils', '_rebuild_tensor_v2'),
    pk.mark,
    pk.mark,
    pk.shortUnicode('storage'),
    pk.global('torch', 'FloatStorage'),
    pk.shortUnicode('0'),
    pk.shortUnicode('cpu'),
    pk.binint1(4),
    Buffer.from([0x74]),
    Buffer.from([0x51]), // BINPERSID
    pk.binint1(0),
    pk.mark,
    pk.binint1(2),
    pk.binint1(2),
    Buffer.from([0x74]),
    pk.mark,
    pk.binint1(2),
    pk.binint1(1),
    Buffer.from([0x74]),
    Buffer.from([0x89]), // NEWFALSE
    pk.global('collections', 'OrderedDict'),
    pk.emptyTuple,
    pk.reduce,
    Buffer.from([0x74]),
    pk.reduce,
    pk.setitems,
    pk.stop,
  ])
}

// ---------------------------------------------------------------------------------------------
// ZIP (stored or deflated; optional lies in the headers for hostile cases).
const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()
export function crc32(buf) {
  let c = 0xffffffff
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
/**
 * entries: [{name, data, deflate?, declaredSize?, declaredCompressed?, crc?}] — the declared
 * fields let hostile cases lie about sizes (zip bombs, mismatching headers).
 */
export function zip(entries) {
  const locals = []
  const central = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8')
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '')
    const body = e.deflate ? zlib.deflateRawSync(data) : data
    const crc = e.crc ?? crc32(data)
    const size = e.declaredSize ?? data.length
    const csize = e.declaredCompressed ?? body.length
    const method = e.deflate ? 8 : 0
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    lh.writeUInt16LE(20, 4)
    lh.writeUInt16LE(0x0800, 6)
    lh.writeUInt16LE(method, 8)
    lh.writeUInt32LE(crc, 14)
    lh.writeUInt32LE(csize >>> 0, 18)
    lh.writeUInt32LE(size >>> 0, 22)
    lh.writeUInt16LE(name.length, 26)
    locals.push(lh, name, body)
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE(20, 4)
    ch.writeUInt16LE(20, 6)
    ch.writeUInt16LE(0x0800, 8)
    ch.writeUInt16LE(method, 10)
    ch.writeUInt32LE(crc, 16)
    ch.writeUInt32LE(csize >>> 0, 20)
    ch.writeUInt32LE(size >>> 0, 24)
    ch.writeUInt16LE(name.length, 28)
    ch.writeUInt32LE(offset, 42)
    central.push(ch, name)
    offset += 30 + name.length + body.length
  }
  const cd = Buffer.concat(central)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, eocd])
}
/** A PyTorch zip checkpoint (archive/data.pkl, archive/data/0, archive/version). */
export function torchZip(pkl = pickleTorchLike()) {
  return zip([
    {name: 'archive/data.pkl', data: pkl},
    {name: 'archive/data/0', data: f32([1, 2, 3, 4])},
    {name: 'archive/version', data: '3\n'},
  ])
}
/** An .npz (zip of .npy members). */
export function npz(members = {a: npy(), b: npy({shape: [3]})}) {
  return zip(Object.entries(members).map(([n, d]) => ({name: `${n}.npy`, data: d, deflate: true})))
}
/**
 * Deflate streams of many MiB of zeros, made instantly: one full-flushed (self-contained,
 * byte-aligned) block of 1 MiB of zeros repeated, then an empty final block.
 */
const MIB = 1024 * 1024
let zeroBlock
function deflatedZeros(prefix, mib) {
  zeroBlock ??= zlib.deflateRawSync(Buffer.alloc(MIB), {level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH})
  const first = zlib.deflateRawSync(Buffer.concat([prefix, Buffer.alloc(MIB - prefix.length)]), {level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH})
  const parts = [first]
  for (let i = 1; i < mib; i++) parts.push(zeroBlock)
  parts.push(zlib.deflateRawSync(Buffer.alloc(0)))
  const key = `${prefix.toString('hex')}:${mib}`
  let crc = crcMemo.get(key)
  if (crc === undefined) {
    crc = zlib.crc32(Buffer.concat([prefix, Buffer.alloc(MIB - prefix.length)]))
    const zeros = Buffer.alloc(MIB)
    for (let i = 1; i < mib; i++) crc = zlib.crc32(zeros, crc)
    crcMemo.set(key, crc)
  }
  return {body: Buffer.concat(parts), crc: crc >>> 0, size: mib * MIB}
}
const crcMemo = new Map()
/** Zip bomb: one deflated member of `mib` MiB of zeros (about 1 KiB per MiB on disk). */
export function zipBombFast(mib, name = 'archive/data.pkl') {
  const z = deflatedZeros(Buffer.alloc(0), mib)
  return zipRaw([{name, body: z.body, crc: z.crc, size: z.size, method: 8}])
}
/** gzip of `prefix` then zeros up to `mib` MiB. */
export function gzipZerosFast(prefix, mib) {
  const z = deflatedZeros(prefix, mib)
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])
  const tail = Buffer.alloc(8)
  tail.writeUInt32LE(z.crc, 0)
  tail.writeUInt32LE(z.size >>> 0, 4)
  return Buffer.concat([head, z.body, tail])
}

function zipRaw(entries) {
  const locals = []
  const central = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name)
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    lh.writeUInt16LE(20, 4)
    lh.writeUInt16LE(e.method, 8)
    lh.writeUInt32LE(e.crc, 14)
    lh.writeUInt32LE(e.body.length, 18)
    lh.writeUInt32LE(e.size >>> 0, 22)
    lh.writeUInt16LE(name.length, 26)
    locals.push(lh, name, e.body)
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE(20, 4)
    ch.writeUInt16LE(20, 6)
    ch.writeUInt16LE(e.method, 10)
    ch.writeUInt32LE(e.crc, 16)
    ch.writeUInt32LE(e.body.length, 20)
    ch.writeUInt32LE(e.size >>> 0, 24)
    ch.writeUInt16LE(name.length, 28)
    ch.writeUInt32LE(offset, 42)
    central.push(ch, name)
    offset += 30 + name.length + e.body.length
  }
  const cd = Buffer.concat(central)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, eocd])
}

// ---------------------------------------------------------------------------------------------
// GGUF v3
export function gguf({
  kv = {'general.architecture': 'llama', 'general.alignment': ['u32', 32]},
  tensors = [{name: 'w', dims: [4], type: 0}],
  version = 3,
  tensorCountOverride,
  kvCountOverride,
} = {}) {
  const parts = []
  const u32 = (n) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n >>> 0)
    return b
  }
  const u64 = (n) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    return b
  }
  const str = (s) => {
    const b = Buffer.from(s, 'utf8')
    return Buffer.concat([u64(b.length), b])
  }
  parts.push(Buffer.from('GGUF'), u32(version), u64(tensorCountOverride ?? tensors.length), u64(kvCountOverride ?? Object.keys(kv).length))
  for (const [k, v] of Object.entries(kv)) {
    parts.push(str(k))
    if (Array.isArray(v) && v[0] === 'u32') parts.push(u32(4), u32(v[1]))
    else if (Array.isArray(v) && v[0] === 'arr-str') parts.push(u32(9), u32(8), u64(v[1].length), ...v[1].map(str))
    else if (Array.isArray(v) && v[0] === 'raw') parts.push(v[1])
    else if (typeof v === 'number')
      parts.push(
        u32(6),
        (() => {
          const b = Buffer.alloc(4)
          b.writeFloatLE(v)
          return b
        })(),
      )
    else parts.push(u32(8), str(String(v)))
  }
  const align = 32
  let off = 0
  const datas = []
  for (const t of tensors) {
    parts.push(str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type ?? 0), u64(t.offset ?? off))
    const n = Math.min(t.dims.reduce((a, b) => a * b, 1) * 4, 4096)
    const padded = Math.ceil(n / align) * align
    datas.push(Buffer.alloc(padded))
    off += padded
  }
  let head = Buffer.concat(parts)
  const pad = (align - (head.length % align)) % align
  head = Buffer.concat([head, Buffer.alloc(pad)])
  return Buffer.concat([head, ...datas])
}

// ---------------------------------------------------------------------------------------------
// tar (ustar). entries: [{name, data?, type?: '0'|'1'|'2'|'3'|'4'|'5', linkname?, size?}]
export function tar(entries) {
  const blocks = []
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data)
    const h = Buffer.alloc(512)
    let name = e.name
    let prefix = ''
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', 155)
      prefix = name.slice(0, cut)
      name = name.slice(cut + 1)
    }
    h.write(name, 0, 100, 'utf8')
    h.write(octal(e.mode ?? 0o644, 8), 100)
    h.write(octal(0, 8), 108)
    h.write(octal(0, 8), 116)
    h.write(octal(e.size ?? data.length, 12), 124)
    h.write(octal(0, 12), 136)
    h.write('        ', 148)
    h.write(e.type ?? '0', 156)
    if (e.linkname) h.write(e.linkname, 157, 100)
    h.write('ustar\u000000', 257, 'binary')
    if (prefix) h.write(prefix, 345, 155)
    let sum = 0
    for (let i = 0; i < 512; i++) sum += h[i]
    h.write(octal(sum, 7), 148)
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}
function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}
export const gzip = (b) => zlib.gzipSync(b)

// ---------------------------------------------------------------------------------------------
// DSSE / in-toto / Sigstore bundle JSON (structure only; signatures made by the caller).
export function pae(payloadType, payload) {
  const t = Buffer.from(payloadType)
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload])
}
export function omsStatement(resources, {method = 'files', hash = 'sha256'} = {}) {
  const digests = Buffer.concat(resources.map((r) => Buffer.from(r.digest, 'hex')))
  const root = createHash('sha256').update(digests).digest('hex')
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{name: 'model', digest: {sha256: root}}],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      serialization: {method, hash_type: hash, allow_symlinks: false, ignore_paths: []},
      resources: resources.map((r) => ({name: r.name, algorithm: hash, digest: r.digest})),
    },
  }
}
export function bundleJson(statement, {signature = Buffer.alloc(64, 1), publicKeyHint = 'x'} = {}) {
  const payload = Buffer.from(JSON.stringify(statement))
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {publicKey: {hint: publicKeyHint}, tlogEntries: []},
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{sig: signature.toString('base64'), keyid: ''}],
    },
  }
}

/** JSON nested `depth` deep ([[[[...]]]]), for parsers that recurse on JSON structure. */
export const jsonNest = (depth) => '['.repeat(depth) + ']'.repeat(depth)
export const sha256hex = (b) => createHash('sha256').update(b).digest('hex')
