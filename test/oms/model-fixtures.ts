/** Small model trees for the OMS tests (not a test file itself). */
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n)
  let x = seed * 2654435761
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}

/**
 * A directory model: nested dirs, dotfiles, an empty file, names whose Python order differs from
 * string order (`a/b.bin` before `a-c`), git files (ignored by default) and a cache dir.
 */
export function makeModel(dir: string): string {
  const put = (rel: string, data: Buffer | string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), {recursive: true})
    writeFileSync(path.join(dir, rel), data)
  }
  put('weights.bin', bytes(2500, 1))
  put('config.json', '{"layers": 2}\n')
  put('.hidden', 'dotfile')
  put('empty.txt', '')
  put('a/b.bin', bytes(1200, 2))
  put('a-c', 'a-c')
  put('nested/deep/er/tensor.bin', bytes(900, 3))
  put('.git/HEAD', 'ref: refs/heads/main\n')
  put('cache/tmp.bin', bytes(10, 4))
  return dir
}
