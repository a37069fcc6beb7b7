/**
 * A throwaway self-signed certificate for 127.0.0.1, made once per test process with the openssl
 * CLI. TLS is not optional: client-go (kubectl) never sends a bearer token over plain HTTP and
 * client-node refuses plain HTTP unless TLS verification is switched off.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

export interface TlsMaterial {
  cert: string
  key: string
}

let cached: Promise<TlsMaterial> | undefined

async function generate(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'kpx-fake-apiserver-tls-'))
  try {
    const [keyPath, certPath] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=fake-apiserver',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ])
    return {cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8')}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

export function selfSignedCertificate(): Promise<TlsMaterial> {
  cached ??= generate()
  return cached
}
