import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestCa {
  dir: string
  /** PEM of the CA certificate: trust it with NODE_EXTRA_CA_CERTS=caFile or a `ca` option. */
  caPem: string
  caFile: string
  /** A key and certificate for the given host names / IPs, signed by the CA. */
  issue(names: string[]): {key: string; cert: string}
}

/** A throwaway certificate authority made with openssl for one test file. */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-ca-'))
  const run = (args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mxcut test CA'])
  let n = 0
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    issue(names) {
      n += 1
      const san = names.map((x) => (/^[\d.]+$|:/.test(x) ? `IP:${x}` : `DNS:${x}`)).join(',')
      writeFileSync(join(dir, `ext${n}.cnf`), `subjectAltName=${san}\n`)
      run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `leaf${n}.key`, '-out', `leaf${n}.csr`, '-subj', `/CN=${names[0]}`])
      run(['x509', '-req', '-in', `leaf${n}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `leaf${n}.pem`, '-days', '2', '-extfile', `ext${n}.cnf`])
      return {key: readFileSync(join(dir, `leaf${n}.key`), 'utf8'), cert: readFileSync(join(dir, `leaf${n}.pem`), 'utf8')}
    },
  }
}
