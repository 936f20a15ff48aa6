/*
 * WebAssembly SIMD kernel of the float32, float16 and bfloat16 weight scan (src/scan/weights/accumulate.ts has the
 * pure-JS reference of every function here; test/scan/weights/kernel.test.ts checks they agree).
 * Built by scripts/build-wasm.mjs (clang --target=wasm32 -msimd128) into kernel-f32-wasm.ts.
 *
 * One linear memory; JS writes tensor bytes at data_ptr() and reads results from out_ptr():
 *   OUT[0] elements whose lowest byte is 0      OUT[1] lowest byte printable (0x20..0x7e)
 *   OUT[2] second byte printable                OUT[3] max over (|x| bits - TINY) unsigned
 *   OUT[4] 1 when some element differs from `first`
 *   OUT[5] signature candidates (positions of the first MAXC in CANDS)
 *   OUT[6] low 13 bits zero                     OUT[7] low 16 bits zero
 *   OUT[8..13] zeros, denormals, +inf, -inf, NaN, NaN with a non-canonical payload
 *   OUT[14] largest |x| bits among the other (finite, normal) values
 * A candidate of stats_f32 is an element i where the two-byte magic table hits on (b0[i], b1[i])
 * (raw bytes and the low-order streams start there) or on (b0[i-1], b0[i]) (the b0 stream):
 * exactly the elements the JS hot loop lists. raw_pairs_f32 lists the raw bytes' other offsets.
 *
 * stats_f16 / hist_f16 do the same for 16-bit floats, raw bytes at both offsets (float16 and bfloat16, told apart by the
 * exponent mask): OUT[0] low byte 0, OUT[1] low byte printable, OUT[3] largest |x| bits among the
 * finite non-zero values, OUT[4], OUT[5] as above, OUT[8] zeros, OUT[10..12] +inf, -inf, NaN
 * (JS reference: FloatAccumulator.loopF16).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define MAXC 64
/*
 * |x| bits of 2^-60. Magnitudes are kept as (|x| bits - TINY), unsigned: zeros, denormals and
 * anything below 2^-60 wrap to the top, so one maximum flags them with the huge values and
 * NaN/Inf. No trained weight is that small; raw bytes of a file laid over float32 elements almost
 * always put such an exponent byte somewhere (raw_pairs_f32 then runs).
 */
#define TINY 0x21800000u

static uint8_t MAGIC2[65536];
static uint32_t OUT[16];
static uint32_t CANDS[MAXC];
static uint32_t H[4][256];
static uint32_t HIST[512];
extern unsigned char __heap_base;

static void add(uint32_t a, uint32_t b) { MAGIC2[a | (b << 8)] = 1; }

void init(void) {
  add(0x7f, 0x45);
  add(0x4d, 0x5a);
  add(0xcf, 0xfa);
  add(0xce, 0xfa);
  add(0xfe, 0xed);
  add(0xca, 0xfe);
  add(0x50, 0x4b);
  add(0x37, 0x7a);
  add(0x1f, 0x8b);
  add(0x23, 0x21);
  for (uint32_t p = 2; p <= 5; p++) add(0x80, p);
}

uint32_t out_ptr(void) { return (uint32_t)(uintptr_t)OUT; }
uint32_t cands_ptr(void) { return (uint32_t)(uintptr_t)CANDS; }
uint32_t hist_ptr(void) { return (uint32_t)(uintptr_t)HIST; }
/** First free byte (64-aligned): JS grows the memory and puts tensor bytes there. */
uint32_t data_ptr(void) { return ((uint32_t)(uintptr_t)&__heap_base + 63u) & ~63u; }

/** The sum of the 8 16-bit counters of acc. */
static inline uint32_t sum_u16(v128_t acc) {
  v128_t x = wasm_u32x4_extadd_pairwise_u16x8(acc);
  return wasm_i32x4_extract_lane(x, 0) + wasm_i32x4_extract_lane(x, 1) + wasm_i32x4_extract_lane(x, 2) + wasm_i32x4_extract_lane(x, 3);
}

/** The sum of the 16 byte counters of acc. */
static inline uint32_t sum_bytes(v128_t acc) {
  v128_t x = wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(acc));
  return wasm_i32x4_extract_lane(x, 0) + wasm_i32x4_extract_lane(x, 1) + wasm_i32x4_extract_lane(x, 2) + wasm_i32x4_extract_lane(x, 3);
}

/*
 * Two-byte magics by the high nibble of their first byte (one each, so a 16-entry table lookup
 * gives the only possible first and second byte); ce/cf fa and 80 02..05 are tested apart.
 */
#define NOMATCH 0xff /* a first byte whose high nibble differs from every unused index */
static const uint8_t TF[16] = {NOMATCH, 0x1f, 0x23, 0x37, 0x4d, 0x50, NOMATCH, 0x7f, NOMATCH, NOMATCH, NOMATCH, NOMATCH, 0xca, NOMATCH, NOMATCH, 0xfe};
static const uint8_t TS[16] = {0, 0x8b, 0x21, 0x7a, 0x5a, 0x4b, 0, 0x45, 0, 0, 0, 0, 0xfe, 0, 0, 0xed};

/* The previous 16 lanes' last byte moved in front of this vector's first 15: lane j = element j - 1. */
#define PREV1(a, b) wasm_i8x16_shuffle((a), (b), 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)

/** First-byte masks of 16 lowest bytes, carried to the next 16 (the pair (b0[i-1], b0[i]) spans them). */
typedef struct {
  v128_t mf, es, cf, c8;
} Firsts;

static inline Firsts firsts_of(v128_t B0) {
  v128_t hi = wasm_u8x16_shr(B0, 4);
  Firsts f;
  f.es = wasm_i8x16_swizzle(wasm_v128_load(TS), hi);
  f.mf = wasm_i8x16_eq(B0, wasm_i8x16_swizzle(wasm_v128_load(TF), hi));
  f.cf = wasm_i8x16_eq(wasm_v128_or(B0, wasm_i8x16_splat(1)), wasm_u8x16_splat(0xcf));
  f.c8 = wasm_i8x16_eq(B0, wasm_u8x16_splat(0x80));
  return f;
}

/** Lanes i where (X[i], Y[i]) is a magic pair; a = firsts_of(X). */
static inline v128_t pair_hits(Firsts a, v128_t Y) {
  return wasm_v128_or(wasm_v128_and(a.mf, wasm_i8x16_eq(Y, a.es)),
                      wasm_v128_or(wasm_v128_and(a.cf, wasm_i8x16_eq(Y, wasm_u8x16_splat(0xfa))),
                                   wasm_v128_and(a.c8, wasm_u8x16_lt(wasm_i8x16_sub(Y, wasm_i8x16_splat(2)), wasm_u8x16_splat(4)))));
}

/** Lanes i where (X[i-1], Y[i]) is a magic pair; `carry` holds the previous 16's firsts of X and becomes a = firsts_of(X). */
static inline v128_t prev_hits(Firsts *carry, Firsts a, v128_t Y) {
  Firsts s;
  s.mf = PREV1(carry->mf, a.mf);
  s.es = PREV1(carry->es, a.es);
  s.cf = PREV1(carry->cf, a.cf);
  s.c8 = PREV1(carry->c8, a.c8);
  *carry = a;
  return pair_hits(s, Y);
}

/**
 * Adds to CANDS the elements [i, end) (`width` bytes each, at b) where a magic pair starts a
 * stream. ELEMENT_START: the element's two lowest bytes (raw bytes and the low streams start
 * there) and the previous element's lowest byte with its own (the b0 stream). INSIDE: the
 * element's other byte pairs and the one from the previous element's last byte into its first
 * (raw bytes at the other offsets). Element -1 is given by its lowest and last bytes.
 */
#define ELEMENT_START 1
#define INSIDE 2
static uint32_t list_candidates(const uint8_t *b, uint32_t width, uint32_t i, uint32_t end, uint32_t prev_lo, uint32_t prev_hi, uint32_t nc, uint32_t which) {
  for (uint32_t k = i; k < end; k++) {
    const uint8_t *e = b + k * width;
    uint32_t hit = 0;
    if (which & ELEMENT_START) hit = MAGIC2[e[0] | ((uint32_t)e[1] << 8)] | MAGIC2[prev_lo | ((uint32_t)e[0] << 8)];
    if (which & INSIDE) {
      hit |= MAGIC2[prev_hi | ((uint32_t)e[0] << 8)];
      for (uint32_t j = 1; j + 1 < width; j++) hit |= MAGIC2[e[j] | ((uint32_t)e[j + 1] << 8)];
    }
    if (hit) {
      if (nc < MAXC) CANDS[nc] = k;
      nc++;
    }
    prev_lo = e[0];
    prev_hi = e[width - 1];
  }
  return nc;
}

/** The per-element statistics of n elements at p (see OUT above); prev = lowest byte of element -1. */
uint32_t stats_f32(const uint32_t *p, uint32_t n, uint32_t prev, uint32_t first) {
  uint32_t zb0 = 0, pr0 = 0, pr1 = 0, nc = 0;
  v128_t mx = wasm_i32x4_splat(0);
  v128_t diff = wasm_i32x4_splat(0);
  const v128_t firstv = wasm_i32x4_splat((int32_t)first);
  const v128_t absmask = wasm_i32x4_splat(0x7fffffff);
  const v128_t tiny = wasm_i32x4_splat(TINY);
  const v128_t bias = wasm_i8x16_splat(0x60);
  const v128_t lim = wasm_i8x16_splat(-33);
  const v128_t zero = wasm_i32x4_splat(0);
  /* masks of the previous block's lowest bytes (only lane 15, element -1, is used) */
  Firsts f0 = firsts_of(wasm_u8x16_splat((uint8_t)prev));
  uint32_t i = 0;
  const uint32_t nv = n & ~15u;
  while (i < nv) {
    /* byte counters hold at most 255 per lane, and each pass adds at most 1: flush every 255 passes */
    uint32_t stop = i + 255 * 16;
    if (stop > nv) stop = nv;
    v128_t accP0 = zero, accP1 = zero, accZ = zero;
    for (; i < stop; i += 16) {
      v128_t v0 = wasm_v128_load(p + i), v1 = wasm_v128_load(p + i + 4);
      v128_t v2 = wasm_v128_load(p + i + 8), v3 = wasm_v128_load(p + i + 12);
      mx = wasm_u32x4_max(mx, wasm_u32x4_max(wasm_u32x4_max(wasm_i32x4_sub(wasm_v128_and(v0, absmask), tiny), wasm_i32x4_sub(wasm_v128_and(v1, absmask), tiny)),
                                              wasm_u32x4_max(wasm_i32x4_sub(wasm_v128_and(v2, absmask), tiny), wasm_i32x4_sub(wasm_v128_and(v3, absmask), tiny))));
      diff = wasm_v128_or(diff, wasm_v128_or(wasm_v128_or(wasm_v128_xor(v0, firstv), wasm_v128_xor(v1, firstv)), wasm_v128_or(wasm_v128_xor(v2, firstv), wasm_v128_xor(v3, firstv))));
      /* byte planes of the 16 elements: lowest bytes B0 and second bytes B1 */
      v128_t t01 = wasm_i8x16_shuffle(v0, v1, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
      v128_t t23 = wasm_i8x16_shuffle(v2, v3, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
      v128_t B0 = wasm_i8x16_shuffle(t01, t23, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
      v128_t B1 = wasm_i8x16_shuffle(t01, t23, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
      /* printable and zero counts on the byte planes: three compares per 16 elements, not twelve per word */
      accP0 = wasm_i8x16_sub(accP0, wasm_i8x16_lt(wasm_i8x16_add(B0, bias), lim));
      accP1 = wasm_i8x16_sub(accP1, wasm_i8x16_lt(wasm_i8x16_add(B1, bias), lim));
      accZ = wasm_i8x16_sub(accZ, wasm_i8x16_eq(B0, zero));
      /* magic pairs: each element's (b0,b1); (b0 of element - 1, b0) */
      Firsts n0 = firsts_of(B0);
      if (wasm_v128_any_true(wasm_v128_or(pair_hits(n0, B1), prev_hits(&f0, n0, B0)))) nc = list_candidates((const uint8_t *)p, 4, i, i + 16, i > 0 ? p[i - 1] & 255 : prev, 0, nc, ELEMENT_START);
    }
    pr0 += sum_bytes(accP0);
    pr1 += sum_bytes(accP1);
    zb0 += sum_bytes(accZ);
  }
  mx = wasm_u32x4_max(mx, wasm_i32x4_shuffle(mx, mx, 2, 3, 0, 1));
  mx = wasm_u32x4_max(mx, wasm_i32x4_shuffle(mx, mx, 1, 0, 3, 2));
  uint32_t m = wasm_u32x4_extract_lane(mx, 0);
  uint32_t d = wasm_v128_any_true(diff);
  for (; i < n; i++) {
    uint32_t u = p[i];
    uint32_t b0 = u & 255, b1 = (u >> 8) & 255;
    zb0 += b0 == 0;
    pr0 += b0 >= 0x20 && b0 < 0x7f;
    pr1 += b1 >= 0x20 && b1 < 0x7f;
    uint32_t t = (u & 0x7fffffff) - TINY;
    if (t > m) m = t;
    d |= (u ^ first) != 0;
  }
  if (nv < n) nc = list_candidates((const uint8_t *)p, 4, nv, n, nv > 0 ? p[nv - 1] & 255 : prev, 0, nc, ELEMENT_START);
  OUT[0] = zb0;
  OUT[1] = pr0;
  OUT[2] = pr1;
  OUT[3] = m;
  OUT[4] = d;
  OUT[5] = nc;
  return nc;
}

/**
 * Raw bytes at the offsets stats_f32 does not probe: lists in CANDS the elements i where (b1,b2)
 * or (b2,b3) of element i, or (last byte of element i-1, b0[i]), is a magic pair; prev_hi = last
 * byte of element -1. Run only on halves whose magnitudes are rare (see TINY).
 */
uint32_t raw_pairs_f32(const uint32_t *p, uint32_t n, uint32_t prev_hi) {
  uint32_t nc = 0, i = 0;
  const uint32_t nv = n & ~15u;
  Firsts f3 = firsts_of(wasm_u8x16_splat((uint8_t)prev_hi));
  for (; i < nv; i += 16) {
    v128_t v0 = wasm_v128_load(p + i), v1 = wasm_v128_load(p + i + 4);
    v128_t v2 = wasm_v128_load(p + i + 8), v3 = wasm_v128_load(p + i + 12);
    v128_t t01 = wasm_i8x16_shuffle(v0, v1, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    v128_t t23 = wasm_i8x16_shuffle(v2, v3, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    v128_t u01 = wasm_i8x16_shuffle(v0, v1, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    v128_t u23 = wasm_i8x16_shuffle(v2, v3, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    v128_t B0 = wasm_i8x16_shuffle(t01, t23, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    v128_t B1 = wasm_i8x16_shuffle(t01, t23, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    v128_t B2 = wasm_i8x16_shuffle(u01, u23, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    v128_t B3 = wasm_i8x16_shuffle(u01, u23, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    v128_t hits = wasm_v128_or(wasm_v128_or(pair_hits(firsts_of(B1), B2), pair_hits(firsts_of(B2), B3)), prev_hits(&f3, firsts_of(B3), B0));
    if (wasm_v128_any_true(hits)) nc = list_candidates((const uint8_t *)p, 4, i, i + 16, 0, i > 0 ? p[i - 1] >> 24 : prev_hi, nc, INSIDE);
  }
  if (nv < n) nc = list_candidates((const uint8_t *)p, 4, nv, n, 0, nv > 0 ? p[nv - 1] >> 24 : prev_hi, nc, INSIDE);
  OUT[5] = nc;
  return nc;
}

/** Elements with the low 13 / low 16 bits zero (fp16- / bf16-exact). */
void t13_f32(const uint32_t *p, uint32_t n) {
  uint32_t a = 0, b = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t u = p[i];
    a += (u & 0x1fff) == 0;
    b += (u & 0xffff) == 0;
  }
  OUT[6] = a;
  OUT[7] = b;
}

/** Exact zero / denormal / infinity / NaN counts and the largest other |x| bits. */
void exact_f32(const uint32_t *p, uint32_t n) {
  uint32_t zeros = 0, den = 0, pinf = 0, ninf = 0, nan = 0, pay = 0, maxa = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t u = p[i];
    uint32_t a = u & 0x7fffffff;
    if (a == 0) zeros++;
    else if (a < 0x00800000) den++;
    else if (a == 0x7f800000) {
      if (u >> 31) ninf++;
      else pinf++;
    } else if (a > 0x7f800000) {
      nan++;
      if ((a & 0x7fffff) != 0x400000) pay++;
    } else if (a > maxa) maxa = a;
  }
  OUT[8] = zeros;
  OUT[9] = den;
  OUT[10] = pinf;
  OUT[11] = ninf;
  OUT[12] = nan;
  OUT[13] = pay;
  OUT[14] = maxa;
}

/** Histograms of the lowest and second bytes of n elements into HIST[0..255] and HIST[256..511]. */
void hist_f32(const uint32_t *p, uint32_t n) {
  for (int v = 0; v < 256; v++) H[0][v] = H[1][v] = H[2][v] = H[3][v] = 0;
  uint32_t i = 0;
  for (; i + 1 < n; i += 2) {
    uint32_t u = p[i], w = p[i + 1];
    H[0][u & 255]++;
    H[1][(u >> 8) & 255]++;
    H[2][w & 255]++;
    H[3][(w >> 8) & 255]++;
  }
  if (i < n) {
    H[0][p[i] & 255]++;
    H[1][(p[i] >> 8) & 255]++;
  }
  for (int v = 0; v < 256; v++) {
    HIST[v] = H[0][v] + H[2][v];
    HIST[256 + v] = H[1][v] + H[3][v];
  }
}

/** The per-element statistics of n 16-bit floats at p (see the top); prev = lowest byte of element -1. */
uint32_t stats_f16(const uint16_t *p, uint32_t n, uint32_t prev, uint32_t prev_hi, uint32_t first, uint32_t expmask) {
  uint32_t zb0 = 0, pr0 = 0, nc = 0, zeros = 0, pinf = 0, ninf = 0, nan = 0;
  const v128_t bias = wasm_i8x16_splat(0x60);
  const v128_t lim = wasm_i8x16_splat(-33);
  const v128_t zero = wasm_i32x4_splat(0);
  const v128_t absmask = wasm_i16x8_splat(0x7fff);
  const v128_t em = wasm_i16x8_splat((int16_t)expmask);
  const v128_t firstv = wasm_i16x8_splat((int16_t)first);
  v128_t mx = zero, diff = zero;
  Firsts f0 = firsts_of(wasm_u8x16_splat((uint8_t)prev));
  Firsts f1 = firsts_of(wasm_u8x16_splat((uint8_t)prev_hi));
  uint32_t i = 0;
  const uint32_t nv = n & ~15u;
  while (i < nv) {
    /* byte counters take at most 1 per pass (255 passes), 16-bit counters at most 2 */
    uint32_t stop = i + 255 * 16;
    if (stop > nv) stop = nv;
    v128_t accP0 = zero, accZ = zero, accZero = zero, accPinf = zero, accNinf = zero, accNan = zero;
    for (; i < stop; i += 16) {
      v128_t v0 = wasm_v128_load(p + i), v1 = wasm_v128_load(p + i + 8);
      v128_t B0 = wasm_i8x16_shuffle(v0, v1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      v128_t B1 = wasm_i8x16_shuffle(v0, v1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
      accP0 = wasm_i8x16_sub(accP0, wasm_i8x16_lt(wasm_i8x16_add(B0, bias), lim));
      accZ = wasm_i8x16_sub(accZ, wasm_i8x16_eq(B0, zero));
      v128_t a0 = wasm_v128_and(v0, absmask), a1 = wasm_v128_and(v1, absmask);
      accZero = wasm_i16x8_sub(accZero, wasm_i16x8_add(wasm_i16x8_eq(a0, zero), wasm_i16x8_eq(a1, zero)));
      /* exponent all ones: infinity when the rest is zero (a == expmask), else NaN */
      v128_t s0 = wasm_i16x8_eq(wasm_v128_and(a0, em), em), s1 = wasm_i16x8_eq(wasm_v128_and(a1, em), em);
      v128_t i0 = wasm_i16x8_eq(a0, em), i1 = wasm_i16x8_eq(a1, em);
      v128_t n0 = wasm_i16x8_shr(v0, 15), n1 = wasm_i16x8_shr(v1, 15);
      accNinf = wasm_i16x8_sub(accNinf, wasm_i16x8_add(wasm_v128_and(i0, n0), wasm_v128_and(i1, n1)));
      accPinf = wasm_i16x8_sub(accPinf, wasm_i16x8_add(wasm_v128_andnot(i0, n0), wasm_v128_andnot(i1, n1)));
      accNan = wasm_i16x8_sub(accNan, wasm_i16x8_add(wasm_v128_andnot(s0, i0), wasm_v128_andnot(s1, i1)));
      mx = wasm_u16x8_max(mx, wasm_u16x8_max(wasm_v128_andnot(a0, s0), wasm_v128_andnot(a1, s1)));
      diff = wasm_v128_or(diff, wasm_v128_or(wasm_v128_xor(v0, firstv), wasm_v128_xor(v1, firstv)));
      /* magic pairs: each element's (b0,b1); (b1 of element - 1, b0); (b0 of element - 1, b0) */
      Firsts g0 = firsts_of(B0);
      v128_t hits = wasm_v128_or(pair_hits(g0, B1), wasm_v128_or(prev_hits(&f1, firsts_of(B1), B0), prev_hits(&f0, g0, B0)));
      if (wasm_v128_any_true(hits)) nc = list_candidates((const uint8_t *)p, 2, i, i + 16, i > 0 ? p[i - 1] & 255 : prev, i > 0 ? p[i - 1] >> 8 : prev_hi, nc, ELEMENT_START | INSIDE);
    }
    pr0 += sum_bytes(accP0);
    zb0 += sum_bytes(accZ);
    zeros += sum_u16(accZero);
    pinf += sum_u16(accPinf);
    ninf += sum_u16(accNinf);
    nan += sum_u16(accNan);
  }
  uint32_t m = 0;
  for (int k = 0; k < 8; k++) {
    uint32_t x = ((const uint16_t *)&mx)[k];
    if (x > m) m = x;
  }
  uint32_t d = wasm_v128_any_true(diff);
  for (; i < n; i++) {
    uint32_t u = p[i];
    uint32_t b0 = u & 255;
    zb0 += b0 == 0;
    pr0 += b0 >= 0x20 && b0 < 0x7f;
    uint32_t a = u & 0x7fff;
    if (a == 0) zeros++;
    else if ((a & expmask) == expmask) {
      if (a == expmask) {
        if (u >> 15) ninf++;
        else pinf++;
      } else nan++;
    } else if (a > m) m = a;
    d |= (u ^ first) != 0;
  }
  if (nv < n) nc = list_candidates((const uint8_t *)p, 2, nv, n, nv > 0 ? p[nv - 1] & 255 : prev, nv > 0 ? p[nv - 1] >> 8 : prev_hi, nc, ELEMENT_START | INSIDE);
  OUT[0] = zb0;
  OUT[1] = pr0;
  OUT[2] = 0;
  OUT[3] = m;
  OUT[4] = d;
  OUT[5] = nc;
  OUT[8] = zeros;
  OUT[10] = pinf;
  OUT[11] = ninf;
  OUT[12] = nan;
  return nc;
}

/** Histogram of the lowest bytes of n 16-bit elements into HIST[0..255] (HIST[256..511] zero). */
void hist_f16(const uint16_t *p, uint32_t n) {
  for (int v = 0; v < 256; v++) H[0][v] = H[1][v] = H[2][v] = H[3][v] = 0;
  uint32_t i = 0;
  for (; i + 3 < n; i += 4) {
    H[0][p[i] & 255]++;
    H[1][p[i + 1] & 255]++;
    H[2][p[i + 2] & 255]++;
    H[3][p[i + 3] & 255]++;
  }
  for (; i < n; i++) H[0][p[i] & 255]++;
  for (int v = 0; v < 256; v++) {
    HIST[v] = H[0][v] + H[1][v] + H[2][v] + H[3][v];
    HIST[256 + v] = 0;
  }
}
