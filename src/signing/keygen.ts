/** Writing a generated key pair to disk without clobbering anything by accident. */
import {existsSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {generateKeyPair, type Curve} from './keys.js'
import {requireObject, requirePath} from '../util/args.js'

export interface KeyPairReport {
  privateKey: string
  publicKey: string
  curve: Curve
  hint: string
  encrypted: boolean
}

export function writeKeyPair(opts: {privateKeyPath: string; publicKeyPath: string; curve?: Curve; password?: string; force?: boolean}): KeyPairReport {
  requireObject('writeKeyPair', 'options', opts)
  requirePath('writeKeyPair', 'options.privateKeyPath', opts.privateKeyPath)
  requirePath('writeKeyPair', 'options.publicKeyPath', opts.publicKeyPath)
  const priv = path.resolve(opts.privateKeyPath)
  const pub = path.resolve(opts.publicKeyPath)
  if (priv === pub) throw new UsageError('E_USAGE', '--private-key and --public-key must be different files')
  if (!opts.force) {
    for (const f of [priv, pub]) if (existsSync(f)) throw new UsageError('E_FILE_EXISTS', `${f} already exists (use --force to overwrite)`)
  }
  const kp = generateKeyPair(opts.curve ?? 'p256', opts.password || undefined)
  const flag = opts.force ? 'w' : 'wx'
  write(priv, kp.privateKeyPem, 0o600, flag)
  try {
    write(pub, kp.publicKeyPem, 0o644, flag)
  } catch (err) {
    rmSync(priv, {force: true})
    throw err
  }
  return {privateKey: priv, publicKey: pub, curve: kp.curve, hint: kp.hint, encrypted: Boolean(opts.password)}
}

function write(file: string, text: string, mode: number, flag: string): void {
  try {
    writeFileSync(file, text, {mode, flag})
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EEXIST') throw new UsageError('E_FILE_EXISTS', `${file} already exists (use --force to overwrite)`)
    throw new InputError('E_IO', `cannot write ${file}: ${e.message}`)
  }
}
