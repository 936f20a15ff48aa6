// A minimal protobuf wire-format writer for building ONNX bytes by hand: hostile encodings the
// onnx-proto encoder refuses to write (deep nesting, repeated singular fields, unknown fields,
// lengths that lie). Shared by testdata/make-onnx-fixtures.mjs, bench/scan-graph.mjs and
// test/onnx/reader.test.ts; plain JavaScript so fixture scripts run without a build.

/** Unsigned LEB128 varint (BigInt inside, so values above 2^53 encode exactly). */
export function varint(n) {
  const out = []
  let v = BigInt(n)
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return Buffer.from(out)
}

/** Length-delimited field (wire type 2). */
export const len = (field, payload) => Buffer.concat([varint(field * 8 + 2), varint(payload.length), payload])
/** String field (wire type 2). */
export const str = (field, s) => len(field, Buffer.from(s))
/** Varint field (wire type 0). */
export const vint = (field, n) => Buffer.concat([varint(field * 8), varint(n)])
