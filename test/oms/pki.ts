/**
 * Test PKI made with the `openssl` CLI (node:crypto cannot issue X.509 certificates): a root CA,
 * an intermediate, leaves (valid, expired, without signing usage) and an unrelated root.
 * `openssl ca` is used for the expired leaf because it is the only 3.0 subcommand that takes
 * explicit start and end dates. Everything is EC P-256/P-384 so generation stays fast.
 */
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

export interface Pki {
  dir: string
  rootCert: string
  intCert: string
  leafKey: string
  leafCert: string
  expiredLeafCert: string
  noUsageLeafCert: string
  otherRootCert: string
  /** intermediate.pem + root.pem, for embedding with --certificate-chain when signing */
  chainFile: string
}

function ossl(dir: string, args: string[]): void {
  execFileSync('openssl', args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
}

export function makePki(dir: string): Pki {
  const f = (n: string) => path.join(dir, n)
  writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n')
  writeFileSync(
    f('leaf.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=email:signer@example.com\n',
  )
  writeFileSync(f('nousage.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment\nextendedKeyUsage=serverAuth\n')
  const selfSigned = (name: string, cn: string) =>
    ossl(dir, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ])
  selfSigned('root', 'test-root-ca')
  selfSigned('other-root', 'test-root-ca')
  const issue = (name: string, cn: string, ca: string, ext: string, curve = 'P-256', keyFrom?: string) => {
    const key = keyFrom ?? `${name}.key`
    if (!keyFrom) ossl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', key])
    ossl(dir, ['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', `${name}.csr`])
    ossl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      `${name}.pem`,
    ])
  }
  issue('int', 'test-intermediate', 'root', 'ca.ext')
  // The leaf's subject equals its issuer's name on purpose, as in the model_signing vectors.
  issue('leaf', 'test-intermediate', 'int', 'leaf.ext', 'P-384')
  issue('nousage', 'no-usage', 'int', 'nousage.ext', 'P-384', 'leaf.key')
  writeFileSync(f('index.txt'), '')
  writeFileSync(f('serial'), '1000\n')
  writeFileSync(
    f('ca.cnf'),
    '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n',
  )
  ossl(dir, ['req', '-new', '-key', 'leaf.key', '-subj', '/CN=expired-leaf', '-out', 'expired.csr'])
  ossl(dir, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    'ca.cnf',
    '-cert',
    'int.pem',
    '-keyfile',
    'int.key',
    '-in',
    'expired.csr',
    '-out',
    'expired.pem',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
    '-extfile',
    'leaf.ext',
  ])
  execFileSync('sh', ['-c', 'cat int.pem root.pem > chain.pem'], {cwd: dir})
  return {
    dir,
    rootCert: f('root.pem'),
    intCert: f('int.pem'),
    leafKey: f('leaf.key'),
    leafCert: f('leaf.pem'),
    expiredLeafCert: f('expired.pem'),
    noUsageLeafCert: f('nousage.pem'),
    otherRootCert: f('other-root.pem'),
    chainFile: f('int.pem'),
  }
}
