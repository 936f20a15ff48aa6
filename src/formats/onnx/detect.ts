/** Content sniffing for ONNX: a ModelProto starts with ir_version (field 1) followed by known fields. */
const MODEL_FIELDS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25, 26])
/**
 * ModelProto fields that are varints (ir_version, model_version); every other known field is
 * length-delimited. Checking wire types keeps ONNX's TensorProto test files (`dims` = field 1,
 * then `data_type` = varint field 2) from being taken for models.
 */
const VARINT_FIELDS = new Set([1, 5])

export function detectOnnx(head: Uint8Array, fileSize = Number.POSITIVE_INFINITY): boolean {
  // Serializers write fields in number order, so a real model begins 0x08 <ir_version>.
  if (head.length < 4 || head[0] !== 0x08) return false
  let pos = 1
  const varint = (): number => {
    let r = 0
    let mul = 1
    for (let i = 0; i < 10 && pos < head.length; i++) {
      const b = head[pos++]
      r += (b & 0x7f) * mul
      if (b < 0x80) return r
      mul *= 128
    }
    return -1
  }
  const ir = varint()
  if (ir < 1 || ir > 64) return false
  // The next fields must be known ModelProto fields with sane wire types.
  let checked = 0
  while (pos < head.length && checked < 4) {
    const tag = varint()
    if (tag < 0) return checked > 0
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    if (!MODEL_FIELDS.has(field) || (wire === 0) !== VARINT_FIELDS.has(field)) return false
    if (wire === 0) {
      if (varint() < 0) return checked > 0
      // A repeated ir_version proves nothing (a TensorProto's `dims` look the same): keep looking.
      if (field === 1) continue
    } else if (wire === 2) {
      const len = varint()
      if (len < 0 || len > fileSize) return false
      pos += len
    } else return false
    checked++
  }
  return checked > 0
}
