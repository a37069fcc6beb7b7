/**
 * The whole live path on real kernel rules: kube-proxy's rules are loaded into a network
 * namespace standing for node "a"; the fake API server runs exec there, so captureSnapshot
 * reads what the kernel holds (iptables-nft) and must pick that backend over the empty legacy one.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

import {expect} from 'chai'

import {captureSnapshot} from '../../../src/lib/cluster/capture.js'
import {Cluster} from '../../../src/lib/cluster/client.js'
import {countKubeRules} from '../../../src/lib/cluster/node-rules.js'
import {startFakeApiServer} from '../../helpers/fake-apiserver.js'
import {requireRoot} from '../../helpers/netns.js'
import * as s from './scenario.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const RULES = `${CORPUS_DIR}/TestOverallIPTablesRules.rules`
const NS = `kpxC-node-a-${process.pid}`
const NS_BOTH = `kpxC-node-b-${process.pid}`
const OLDER_RULES = `${CORPUS_DIR}/TestNodePorts-1.rules`

describe('cluster/capture from kernel rules in a network namespace', function () {
  this.timeout(30_000)

  before(function () {
    requireRoot(this)
    execFileSync('ip', ['netns', 'add', NS])
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up'])
    execFileSync('ip', ['-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'])
    execFileSync('ip', ['-n', NS, 'addr', 'add', '192.168.49.2/24', 'dev', 'eth0'])
    execFileSync('ip', ['netns', 'exec', NS, 'iptables-nft-restore'], {input: readFileSync(RULES)})
    // Node b: stale legacy rules from an older kube-proxy next to the current nft ones.
    execFileSync('ip', ['netns', 'add', NS_BOTH])
    execFileSync('ip', ['netns', 'exec', NS_BOTH, 'iptables-nft-restore'], {input: readFileSync(RULES)})
    execFileSync('ip', ['netns', 'exec', NS_BOTH, 'iptables-legacy-restore'], {input: readFileSync(OLDER_RULES)})
  })

  after(() => {
    for (const ns of [NS, NS_BOTH]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], {stdio: 'ignore'})
      } catch {
        // not created (skipped) or already gone
      }
    }
  })

  it('reads the nft backend the kernel holds, with the namespace addresses', async () => {
    const srv = await startFakeApiServer({objects: [s.node('a', '192.168.49.2'), s.kubeProxyPod('a')], nodeNamespaces: {a: NS}})
    try {
      const client = await Cluster.connect({kubeconfig: srv.kubeconfigPath})
      const {snapshot, failures} = await captureSnapshot(client, {nodes: ['a'], transport: 'kube-proxy'})
      expect(failures).to.deep.equal([])
      const [a] = snapshot.nodes
      expect(a.meta?.backend).to.equal('nft')
      expect(countKubeRules(a.iptables!.text)).to.equal(countKubeRules(readFileSync(RULES, 'utf8')))
      expect(a.iptables!.text).to.match(/^:KUBE-SERVICES - \[0:0\]$/m)
      expect(a.addresses).to.include.members(['127.0.0.1', '192.168.49.2'])
      // The legacy tables are empty here, so there is nothing to warn about.
      expect(a.meta?.warnings).to.deep.equal([])
    } finally {
      await srv.close()
    }
  })

  it('both backends hold KUBE-* rules: keeps the one with more and warns', async () => {
    const srv = await startFakeApiServer({objects: [s.node('b', '192.168.49.3'), s.kubeProxyPod('b')], nodeNamespaces: {b: NS_BOTH}})
    try {
      const client = await Cluster.connect({kubeconfig: srv.kubeconfigPath})
      const {snapshot} = await captureSnapshot(client, {nodes: ['b'], transport: 'kube-proxy'})
      const [b] = snapshot.nodes
      expect(b.meta?.backend).to.equal('nft')
      expect(countKubeRules(b.iptables!.text)).to.equal(countKubeRules(readFileSync(RULES, 'utf8')))
      expect(b.meta?.warnings?.join('\n')).to.match(/iptables: both nft \(\d+ KUBE rules\) and legacy \(\d+ KUBE rules\) backends hold KUBE-\* rules; kept nft/)
    } finally {
      await srv.close()
    }
  })
})
