/**
 * kpx check hashes KUBE-SEP names on a worker thread (src/lib/checks/claims-thread.ts). The
 * built worker (tsc's and the bundle's) must exist and answer as the calling thread would, and a
 * run with it must give runChecks' report, byte for byte, on every example and on a snapshot
 * with hash mismatches.
 */
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {REPO, sampleClaims, snapshotOf} from '../lib/checks/helpers.js'
import {endpointChainName} from '../../src/lib/kube-proxy/names.js'
import {built} from '../helpers/built.js'

// The built modules, as the command runs them (and its worker file next to them).
type ThreadModule = typeof import('../../src/lib/checks/claims-thread.js')
type ChecksModule = typeof import('../../src/lib/checks/index.js')
type ReadModule = typeof import('../../src/lib/snapshot/read.js')
type ParseModule = typeof import('../../src/lib/source/parse-node.js')


describe('kpx check: the hashing thread', () => {
  it('is built, by tsc and into the bundle', () => {
    expect(existsSync(join(REPO, 'dist', 'lib', 'checks', 'endpoint-claims-worker.js'))).to.equal(true)
    expect(existsSync(join(REPO, 'dist', 'bundled', 'endpoint-claims-worker.js'))).to.equal(true)
  })

  it('answers as the calling thread does', async () => {
    const {ClaimsThread} = (await import(built('lib/checks/claims-thread.js'))) as ThreadModule
    const {claims, expected} = sampleClaims()
    const thread = new ClaimsThread()
    try {
      expect([...(await thread.verify(claims))]).to.deep.equal(expected)
      expect([...(await thread.verify([]))]).to.deep.equal([])
    } finally {
      await thread.close()
    }
  })

  it('gives runChecks\' report on every example and on hash mismatches', async () => {
    const {ClaimsThread} = (await import(built('lib/checks/claims-thread.js'))) as ThreadModule
    const {runChecks, runChecksWithThread} = (await import(built('lib/checks/index.js'))) as ChecksModule
    const {readSnapshot} = (await import(built('lib/snapshot/read.js'))) as ReadModule
    const {parseBothFamilies} = (await import(built('lib/source/parse-node.js'))) as ParseModule
    const claims = sampleClaims().claims.filter((c, k, all) => all.findIndex((d) => d.chain === c.chain) === k)
    claims.push({chain: endpointChainName('ns/a:p', 'tcp', '10.0.0.9:80'), claimed: 'ns/a:p', endpoint: '10.0.0.8:80'})
    const rules = ['*nat', ...claims.map((c) => `:${c.chain} - [0:0]`), ...claims.map((c) =>
      `-A ${c.chain} -p tcp -m comment --comment "${c.claimed}" -m tcp -j DNAT --to-destination ${c.endpoint}`), 'COMMIT', '']
    const mismatches = snapshotOf([{name: 'node-1', text: rules.join('\n')}])
    const snapshots = [mismatches, ...(await Promise.all(['ghost', 'modern', 'nginx', 'stale'].map((e) => readSnapshot(join(REPO, 'examples', e)))))]
    const opts = {parse: (node: Parameters<typeof parseBothFamilies>[0]) => parseBothFamilies(node)}
    const thread = new ClaimsThread()
    try {
      for (const snapshot of snapshots) {
        const expected = runChecks(snapshot, opts)
        for (const node of snapshot.nodes) delete node.parsed // parse afresh for the second run
        expect(JSON.stringify(await runChecksWithThread(snapshot, opts, thread))).to.equal(JSON.stringify(expected))
      }
      const found = runChecks(mismatches, opts).findings.filter((f) => f.id === 'hash-mismatch').map((f) => f.service)
      expect(found).to.deep.equal(['ns/a:p', 'ns/svc']) // the wrong endpoint, the name that is no hash
    } finally {
      await thread.close()
    }
  })
})
