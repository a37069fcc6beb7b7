/** Target and source resolution, and the `kpx services` rows, on the example snapshots. */
import {expect} from 'chai'

import {buildProxyModel} from '../../../src/lib/kube-proxy/model.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import {readSnapshot} from '../../../src/lib/snapshot/index.js'
import type {NodeCapture, Snapshot} from '../../../src/lib/snapshot/types.js'
import {listServicePorts, traceSnapshot} from '../../../src/lib/trace/index.js'
import type {TraceSnapshotOptions} from '../../../src/lib/trace/index.js'

const parse = (node: NodeCapture, family: 4 | 6) => {
  const text = family === 6 ? node.ip6tables : node.iptables
  return text ? parseRules(text.text) : undefined
}

describe('trace: target resolution', () => {
  let ghost: Snapshot
  before(async () => {
    ghost = await readSnapshot('examples/ghost')
  })
  const one = (opts: Omit<TraceSnapshotOptions, 'parse' | 'node'>) => traceSnapshot(ghost, {...opts, node: 'k8s-1', parse})[0]

  const table: [string, Omit<TraceSnapshotOptions, 'parse' | 'node'>, {src: string; dst: string; dport: number; entry: string}, RegExp][] = [
    ['svc/NAME → cluster IP, a non-backend pod as source', {target: 'svc/ghost'}, {src: '10.32.0.2', dst: '10.98.141.188', dport: 80, entry: 'PREROUTING'}, /^pod kube-system\/coredns-/],
    ['--nodeport → node InternalIP from outside', {target: 'svc/ghost', nodePort: 30966}, {src: '203.0.113.10', dst: '192.168.64.35', dport: 30966, entry: 'PREROUTING'}, /outside client/],
    ['IP:PORT with --src node/NAME → nat OUTPUT', {target: '10.98.141.188:80', src: 'node/k8s-1'}, {src: '192.168.64.35', dst: '10.98.141.188', dport: 80, entry: 'OUTPUT'}, /^node k8s-1$/],
    ['IP + --port, --src IP', {target: '10.98.141.188', port: 80, src: '10.44.0.9'}, {src: '10.44.0.9', dst: '10.98.141.188', dport: 80, entry: 'PREROUTING'}, /^10\.44\.0\.9$/],
    ['--src pod/NAME (namespace)', {target: 'svc/kube-dns', namespace: 'kube-system', port: 'dns', src: 'pod/coredns-74ff55c5b-8xq2v'}, {src: '10.32.0.2', dst: '10.96.0.10', dport: 53, entry: 'PREROUTING'}, /^pod kube-system\/coredns-74ff55c5b-8xq2v$/],
  ]
  for (const [name, opts, packet, source] of table) {
    it(name, () => {
      const result = one(opts)
      expect(result.packet).to.include(packet)
      expect(result.source).to.match(source)
    })
  }

  it('IPv6 targets use the [addr]:port form and the ip6tables rules', () => {
    expect(() => one({target: '[fd00::10]:80'})).to.throw(/no ip6tables rules/)
  })

  it('bad ports and sources are errors with exit codes', () => {
    expect(() => one({target: 'svc/kube-dns', namespace: 'kube-system', port: 'nope'})).to.throw(/has no port nope/).with.property('exitCode', 5)
    expect(() => one({target: '10.98.141.188'})).to.throw(/needs a port/).with.property('exitCode', 2)
    expect(() => one({target: 'svc/ghost', src: 'pod/ghots'})).to.throw(/pod default\/ghots not found/).with.property('exitCode', 5)
  })
})

describe('trace: listServicePorts', () => {
  it('lists ghost with its NodePort, endpoints, pods and probabilities', async () => {
    const snapshot = await readSnapshot('examples/ghost')
    const model = buildProxyModel(parse(snapshot.nodes[0], 4)!, {services: snapshot.cluster?.services})
    const rows = listServicePorts(model, snapshot)
    const ghost = rows.find((r) => r.service === 'default/ghost')!
    expect(ghost).to.deep.include({clusterIPs: ['10.98.141.188:80/tcp'], nodePorts: [30966], policy: {external: 'Cluster', internal: 'Cluster'}})
    expect(ghost.endpoints.map((e) => [e.address, e.probability, e.pod?.startsWith('default/ghost-'), e.stale])).to.deep.equal([
      ['10.44.0.3:2368', 0.5, true, false],
      ['10.44.0.4:2368', 0.5, true, false],
    ])
  })

  it('marks endpoints the EndpointSlices no longer list as stale', async () => {
    const snapshot = await readSnapshot('examples/stale')
    const node = snapshot.nodes[0]
    const rows = listServicePorts(buildProxyModel(parse(node, 4)!, {services: snapshot.cluster?.services}), snapshot)
    expect(rows.flatMap((r) => r.endpoints).some((e) => e.stale === true), JSON.stringify(rows, null, 1)).to.equal(true)
  })
})
