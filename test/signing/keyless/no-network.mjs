// Preload (NODE_OPTIONS=--import <this file>) that makes any network access fail loudly and
// records it in $MODELSEAL_NETLOG, so a test can prove a command did no network I/O at all.
// Local IPC is not network and stays allowed: pipes to child processes and Unix-domain socket
// paths (tsx connects to its parent's /tmp/tsx-*/PID.pipe when the CLI runs from sources).
import {appendFileSync} from 'node:fs'
import dns from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'

const logFile = process.env.MODELSEAL_NETLOG
function refuse(what, detail) {
  const line = `${process.pid} ${what} ${JSON.stringify(detail ?? null)}\n`
  if (logFile) appendFileSync(logFile, line)
  const err = new Error(`network access blocked by test: ${what}`)
  err.code = 'ENETBLOCKED'
  throw err
}
/** True for a Unix-domain socket / named pipe target, i.e. local IPC. */
function isIpc(args) {
  const a = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (typeof a === 'string') return !/^\d+$/.test(a)
  return a !== null && typeof a === 'object' && typeof a.path === 'string' && a.port === undefined
}
const origConnect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  if (!isIpc(args)) {
    const o = args[0]
    refuse('net.Socket.connect', typeof o === 'object' && o !== null ? {host: o.host, port: o.port} : args.slice(0, 2))
  }
  return origConnect.apply(this, args)
}
for (const fn of ['connect', 'createConnection']) {
  const orig = net[fn]
  net[fn] = (...args) => (isIpc(args) ? orig(...args) : refuse(`net.${fn}`, args[0]?.host ?? args[1] ?? args[0]))
}
for (const [mod, name, fns] of [
  [tls, 'tls', ['connect']],
  [http, 'http', ['request', 'get']],
  [https, 'https', ['request', 'get']],
  [dns, 'dns', ['lookup', 'resolve', 'resolve4', 'resolve6']],
  [dns.promises, 'dns.promises', ['lookup', 'resolve']],
]) {
  for (const fn of fns) {
    mod[fn] = (...args) => refuse(`${name}.${fn}`, typeof args[0] === 'string' ? args[0] : String(args[0]?.href ?? args[0]?.host ?? ''))
  }
}
globalThis.fetch = async (input) => refuse('fetch', String(input?.url ?? input))
