/**
 * Media types and annotations modelseal writes and reads. Models are pushed as CNCF ModelPack
 * artifacts (the model-spec's artifactType, config and raw-file layer types) with ORAS-style
 * `org.opencontainers.image.title` annotations, so ORAS, modctl, KitOps-style tools and the
 * model_signing Go port all see one file per layer under its relative path.
 */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json'
/** The OCI empty descriptor's content `{}`. */
export const EMPTY_JSON = Buffer.from('{}')
export const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ')

/** ModelPack (CNCF model-spec v1). */
export const MODEL_ARTIFACT_TYPE = 'application/vnd.cncf.model.manifest.v1+json'
export const MODEL_CONFIG = 'application/vnd.cncf.model.config.v1+json'
export const MODEL_WEIGHT_RAW = 'application/vnd.cncf.model.weight.v1.raw'
export const MODEL_WEIGHT_CONFIG_RAW = 'application/vnd.cncf.model.weight.config.v1.raw'
export const MODEL_DOC_RAW = 'application/vnd.cncf.model.doc.v1.raw'
export const MODEL_CODE_RAW = 'application/vnd.cncf.model.code.v1.raw'
export const MODEL_DATASET_RAW = 'application/vnd.cncf.model.dataset.v1.raw'

export const ANNOTATION_TITLE = 'org.opencontainers.image.title'
export const ANNOTATION_CREATED = 'org.opencontainers.image.created'
export const ANNOTATION_MODEL_FILEPATH = 'org.cncf.model.filepath'
export const ANNOTATION_MEDIATYPE_UNTESTED = 'org.cncf.model.file.mediatype.untested'

/** Sigstore bundle referrers, as cosign stores them (artifactType = the bundle media type). */
export const SIGSTORE_BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
export const ANNOTATION_BUNDLE_CONTENT = 'dev.sigstore.bundle.content'
export const ANNOTATION_BUNDLE_PREDICATE = 'dev.sigstore.bundle.predicateType'

const WEIGHT_EXT = new Set([
  'safetensors',
  'bin',
  'pt',
  'pth',
  'ckpt',
  'onnx',
  'gguf',
  'ggml',
  'h5',
  'keras',
  'pb',
  'tflite',
  'npz',
  'npy',
  'pkl',
  'pickle',
  'msgpack',
  'mlmodel',
  'params',
  'joblib',
  'engine',
  'plan',
  'mar',
  'ot',
])
const CONFIG_EXT = new Set(['json', 'yaml', 'yml', 'toml', 'txt', 'model', 'tiktoken', 'vocab', 'spm', 'ini', 'cfg'])
const DOC_EXT = new Set(['md', 'rst', 'pdf', 'html', 'adoc'])
const CODE_EXT = new Set(['py', 'sh', 'ipynb', 'js', 'ts', 'c', 'cc', 'cpp', 'h', 'go', 'rs', 'java', 'rb', 'lua', 'r', 'jl'])
const DATASET_EXT = new Set(['csv', 'tsv', 'parquet', 'arrow', 'jsonl', 'tfrecord'])
const DOC_NAMES = /^(readme|license|licence|notice|copying|authors|changelog|model_card|modelcard)(\.|$)/i

/**
 * The ModelPack layer type of a file, by name. `untested` is true when nothing identified the
 * file and it defaulted to weights (ModelPack's `mediatype.untested` annotation says so).
 */
export function layerMediaType(relPath: string): {mediaType: string; untested: boolean} {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : ''
  if (DOC_NAMES.test(base) || DOC_EXT.has(ext)) return {mediaType: MODEL_DOC_RAW, untested: false}
  if (WEIGHT_EXT.has(ext)) return {mediaType: MODEL_WEIGHT_RAW, untested: false}
  if (CONFIG_EXT.has(ext)) return {mediaType: MODEL_WEIGHT_CONFIG_RAW, untested: false}
  if (CODE_EXT.has(ext)) return {mediaType: MODEL_CODE_RAW, untested: false}
  if (DATASET_EXT.has(ext)) return {mediaType: MODEL_DATASET_RAW, untested: false}
  return {mediaType: MODEL_WEIGHT_RAW, untested: true}
}
