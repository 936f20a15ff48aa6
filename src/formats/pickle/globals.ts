/**
 * Which pickle globals are dangerous, and which are known-safe. The blocklist is the union of
 * modelscan (settings.py CRITICAL+HIGH), picklescan (`_unsafe_globals`, with parent-module
 * inheritance), fickling (`UNSAFE_IMPORTS`, `UnsafeImportsML`, scanner deactivation); the allowlist
 * is PyTorch's `weights_only` unpickler plus fickling's ML allowlist basics (docs/design-notes.md §4).
 * Entries match a dotted "module.name" exactly or as a dot-boundary prefix (`os` covers
 * `os.system` and `os.path.join`).
 */
import {fixImports} from './compat.js'

const MODULES = `
os nt posix subprocess sys pty commands multiprocessing _posixsubprocess code codeop runpy marshal types
doctest importlib _imp imp pkgutil zipimport gc site unittest inspect test operator _operator functools
cProfile profile pdb bdb timeit trace socket ssl http httplib urllib urllib2 urllib3 requests aiohttp asyncio
webbrowser smtplib imaplib ftplib poplib telnetlib nntplib ctypes _ctypes pickle _pickle cPickle dill cloudpickle
joblib shutil tempfile filecmp distutils setuptools pydoc pexpect pipes venv ensurepip pip idlelib lib2to3
socketserver xmlrpc signal _signal threading _thread thread atexit sqlite3 fileinput glob platform linecache
difflib compileall py_compile mmap select selectors logging syslog tarfile zipfile shelve uuid _osx_support
_aix_support _interpreters _xxsubinterpreters _pyrepl builtins.__import__ __builtin__.__import__
numpy.f2py numpy.distutils numpy.testing._private.utils numpy.load numpy.lib.npyio
torch.hub torch._dynamo torch._inductor torch.jit torch.compile torch.load torch.serialization.load
torch.storage._load_from_bytes torch.utils._config_module torch.utils.bottleneck torch.utils.collect_env
torch.utils.data.datapipes.utils.decoder torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression
torch.jit.unsupported_tensor_ops.execWrapper torch.utils.cpp_extension torch.package
_io.FileIO io.FileIO io.open _io.open io.open_code _io.open_code
fickling picklescan modelscan modelaudit model_unpickler saferpickle
_sitebuiltins jinja2 mako cgi cgitb wsgiref builtins.__build_class__ builtins.__loader__ builtins.__spec__
typing._eval_type typing.ForwardRef dataclasses._create_fn pandas.eval pandas.core.computation numexpr sympy.sympify
sympy.parsing yaml ruamel httpx pycurl paramiko fabric invoke sh plumbum tkinter _tkinter smtpd codecs.open
torch.distributed.rpc torch.multiprocessing ctypes.util _ctypes pkg_resources
`

/** Dangerous members of otherwise harmless modules. */
const NAMES = `
builtins.eval builtins.exec builtins.compile builtins.getattr builtins.setattr builtins.delattr builtins.apply
builtins.open builtins.breakpoint builtins.globals builtins.locals builtins.vars builtins.input builtins.execfile
builtins.file builtins.reload builtins.help builtins.exit builtins.quit builtins.memoryview builtins.type
builtins.object.__reduce__ builtins.object.__subclasses__
keras.models.load_model tensorflow.io tensorflow.keras.models.load_model
code.InteractiveInterpreter.runcode doctest.debug_script ensurepip._run_pip
numpy.ctypeslib numpy.fromfile numpy.memmap pandas.read_pickle pandas.io.pickle
logging.FileHandler
`

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean)
}

const BLOCK = new Set([...words(MODULES), ...words(NAMES)])

/** Exact "module.name" pairs PyTorch's weights_only unpickler (or fickling's ML allowlist) accepts. */
const ALLOW = new Set(
  words(`
collections.OrderedDict collections.Counter collections.defaultdict collections.deque
torch.nn.parameter.Parameter torch.serialization._get_layout torch.Size torch.Tensor torch.device torch.dtype
torch.layout torch.memory_format torch.strided torch.sparse_coo torch.sparse_csr torch.contiguous_format
torch.channels_last torch.preserve_format torch.finfo torch.iinfo
_codecs.encode builtins.bytearray builtins.set builtins.frozenset builtins.complex builtins.slice builtins.range
builtins.int builtins.float builtins.bool builtins.str builtins.bytes builtins.tuple builtins.list builtins.dict
torch._utils._rebuild_parameter torch._utils._rebuild_parameter_with_state torch._utils._rebuild_qtensor
torch._utils._rebuild_tensor torch._utils._rebuild_tensor_v2 torch._utils._rebuild_tensor_v3
torch._utils._rebuild_sparse_tensor torch._utils._rebuild_meta_tensor_no_storage torch._utils._rebuild_wrapper_subclass
torch._utils._rebuild_device_tensor_from_numpy torch._utils._rebuild_device_tensor_from_cpu_tensor
torch._utils._rebuild_nested_tensor torch._utils._rebuild_sparse_csr_tensor torch._tensor._rebuild_from_type_v2
torch.per_tensor_affine torch.per_channel_affine torch.per_tensor_symmetric torch.per_channel_symmetric
torch.per_channel_affine_float_qparams
torch.storage.TypedStorage torch.storage.UntypedStorage torch.UntypedStorage torch.TypedStorage
numpy.core.multiarray._reconstruct numpy._core.multiarray._reconstruct numpy.ndarray numpy.dtype
numpy.core.multiarray.scalar numpy._core.multiarray.scalar copyreg._reconstructor copy_reg._reconstructor
`),
)
for (const t of [
  'Float',
  'Double',
  'Half',
  'BFloat16',
  'Long',
  'Int',
  'Short',
  'Char',
  'Byte',
  'Bool',
  'ComplexFloat',
  'ComplexDouble',
  'QUInt8',
  'QInt8',
  'QInt32',
  'QUInt4x2',
  'QUInt2x4',
]) {
  ALLOW.add(`torch.${t}Storage`)
  ALLOW.add(`torch.cuda.${t}Storage`)
  ALLOW.add(`torch.${t}Tensor`)
}
for (const d of 'float32 float float64 double float16 half bfloat16 int8 uint8 int16 short int32 int int64 long bool complex32 complex64 complex128 cfloat cdouble uint16 uint32 uint64 float8_e4m3fn float8_e5m2 float8_e4m3fnuz float8_e5m2fnuz qint8 quint8 qint32 quint4x2'.split(
  ' ',
)) {
  ALLOW.add(`torch.${d}`)
}

export type GlobalClass = 'dangerous' | 'allowed' | 'unknown'

function normalise(module: string, name: string): string {
  const m = module === '__builtin__' ? 'builtins' : module === 'copy_reg' ? 'copyreg' : module
  return `${m}.${name}`
}

/** Callables that run code or touch the system, when reached at the end of a dotted attribute walk. */
const DANGEROUS_LEAVES = new Set(
  words(`system popen popen2 popen3 popen4 spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe execl execle
execlp execlpe execv execve execvp execvpe fork forkpty kill eval exec execfile compile __import__ import_module getattr
setattr delattr open Popen call run check_call check_output getoutput getstatusoutput load loads remove unlink rmdir
rmtree rename replace chmod chown putenv system_call _run_pip runcode interact breakpoint`),
)

export interface GlobalVerdict {
  cls: GlobalClass
  /** What the unpickler really imports: fix_imports applied, "module.name". */
  target: string
  /** The name walks attributes ("a.b"): find_class follows it in protocol 4+. */
  dotted: boolean
  /** Why a dotted walk was judged dangerous. */
  via?: string
}

/**
 * Judges one import the way the unpickler resolves it: Python 2 names mapped by fix_imports
 * (protocol < 3; both spellings are judged, worst wins), dotted names walked attribute by attribute
 * (`argparse` + `_os.system` is os.system: every suffix of the walk is checked as a module path,
 * leading underscores of module aliases dropped; a dunder step or a dangerous callable at the end
 * of a walk is dangerous).
 */
export function judgeGlobal(module: string, name: string, proto = 0): GlobalVerdict {
  const [m, n] = fixImports(module, name, proto)
  const target = `${m}.${n}`
  const dotted = n.includes('.')
  const direct = worst(classifyPath(normalise(m, n)), classifyPath(normalise(module, name)))
  if (direct === 'dangerous' || !dotted) return {cls: direct, target, dotted}
  const steps = n.split('.')
  for (let j = 0; j < steps.length; j++) {
    if (/^__\w+__$/.test(steps[j])) return {cls: 'dangerous', target, dotted, via: `dunder attribute ${steps[j]}`}
    const rest = steps.slice(j)
    for (const cand of [rest.join('.'), [rest[0].replace(/^_+/, ''), ...rest.slice(1)].join('.')]) {
      if (cand && classifyPath(cand) === 'dangerous') return {cls: 'dangerous', target, dotted, via: `attribute walk reaches ${cand}`}
    }
  }
  if (DANGEROUS_LEAVES.has(steps[steps.length - 1])) return {cls: 'dangerous', target, dotted, via: `attribute walk ends at ${steps[steps.length - 1]}`}
  return {cls: direct, target, dotted}
}

function worst(a: GlobalClass, b: GlobalClass): GlobalClass {
  return a === 'dangerous' || b === 'dangerous' ? 'dangerous' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'allowed'
}

/** Inside blocklisted packages but inert data holders (joblib's array wrappers): judged as unknown. */
const EXCEPTIONS = new Set(['joblib.numpy_pickle.NumpyArrayWrapper', 'joblib.numpy_pickle.NDArrayWrapper'])

export function classifyGlobal(module: string, name: string, proto = 0): GlobalClass {
  return judgeGlobal(module, name, proto).cls
}

function classifyPath(full: string): GlobalClass {
  if (EXCEPTIONS.has(full)) return 'unknown'
  // Walk dot-boundary prefixes: "os.path.join" is blocked by "os".
  let cut = full.length
  for (;;) {
    if (BLOCK.has(full.slice(0, cut))) return 'dangerous'
    cut = full.lastIndexOf('.', cut - 1)
    if (cut <= 0) break
  }
  if (ALLOW.has(full)) return 'allowed'
  return 'unknown'
}

/** Storage class name → element type, for PyTorch persistent ids. */
export const TORCH_STORAGE_DTYPES: Record<
  string,
  {dtype: 'f32' | 'f64' | 'f16' | 'bf16' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool' | 'c64' | 'c128' | 'other'; bytes: number}
> = {
  FloatStorage: {dtype: 'f32', bytes: 4},
  DoubleStorage: {dtype: 'f64', bytes: 8},
  HalfStorage: {dtype: 'f16', bytes: 2},
  BFloat16Storage: {dtype: 'bf16', bytes: 2},
  LongStorage: {dtype: 'i64', bytes: 8},
  IntStorage: {dtype: 'i32', bytes: 4},
  ShortStorage: {dtype: 'i16', bytes: 2},
  CharStorage: {dtype: 'i8', bytes: 1},
  ByteStorage: {dtype: 'u8', bytes: 1},
  BoolStorage: {dtype: 'bool', bytes: 1},
  ComplexFloatStorage: {dtype: 'c64', bytes: 8},
  ComplexDoubleStorage: {dtype: 'c128', bytes: 16},
  UntypedStorage: {dtype: 'u8', bytes: 1},
}
