/** Checks that need more than one node, or counters: nodes-disagree, counter-skew. */
import {expect} from 'chai'
import type {ClusterObjects} from '../../../src/lib/snapshot/types.js'
import {checkSnapshot, corpusRules, deleteLine, findingCounts, fixtureCluster, replaceOnce, snapshotOf} from './helpers.js'

const OVERALL = corpusRules('TestOverallIPTablesRules')
const TERMINATING = corpusRules('TestTerminatingEndpointsTrafficPolicyCluster-1')
// Dropping the last jump of a 2-endpoint cascade also leaves its 0.5 rule last (traffic falls through).
const WITHOUT_SVC4_SECOND = deleteLine(OVERALL, '"ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ')

describe('checks: nodes-disagree', () => {
  it('flags the one node whose KUBE-SVC chain differs from the others', () => {
    const report = checkSnapshot(snapshotOf([{name: 'a', text: OVERALL}, {name: 'b', text: OVERALL}, {name: 'c', text: WITHOUT_SVC4_SECOND}]))
    const disagree = report.findings.filter((f) => f.id === 'nodes-disagree')
    expect(disagree.map((f) => [f.node, f.service])).to.deep.equal([['c', 'ns4/svc4:p80']])
    expect(disagree[0].message).to.equal('c: ns4/svc4:p80 KUBE-SVC-4SW47YFZTEDKD3PK lacks 10.180.0.5:80 compared with a, b')
    expect(findingCounts(report)).to.deep.equal({'nodes-disagree': 1, 'orphan-chain': 1, 'last-rule-has-statistic': 1})
  })

  it('with two nodes and no majority, both sides are reported', () => {
    const report = checkSnapshot(snapshotOf([{name: 'a', text: OVERALL}, {name: 'b', text: WITHOUT_SVC4_SECOND}]))
    expect(report.findings.filter((f) => f.id === 'nodes-disagree').map((f) => f.node)).to.deep.equal(['a', 'b'])
  })

  it('still compares with every node when only one is selected', () => {
    const report = checkSnapshot(snapshotOf([{name: 'a', text: OVERALL}, {name: 'b', text: OVERALL}, {name: 'c', text: WITHOUT_SVC4_SECOND}]), {nodes: ['c']})
    expect(findingCounts(report)).to.deep.equal({'nodes-disagree': 1, 'orphan-chain': 1, 'last-rule-has-statistic': 1})
  })

  // svc4 has 10.180.0.4 (SEP UKSFD7AGPMPPLUHC) and 10.180.0.5 (SEP C6EBXVWJJZMIWKLZ); each node keeps one.
  const zoneA = replaceOnce(OVERALL, ' -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC', ' -j KUBE-SEP-UKSFD7AGPMPPLUHC')
    .split('\n').filter((l) => !l.includes('C6EBXVWJJZMIWKLZ')).join('\n')
  const zoneB = OVERALL.split('\n').filter((l) => !l.includes('UKSFD7AGPMPPLUHC')).join('\n')
  function zonedCluster(annotation: string): ClusterObjects {
    const cluster = fixtureCluster('overall/cluster.json')
    cluster.nodes.push({metadata: {name: 'node3'}})
    for (const node of cluster.nodes) node.metadata.labels = {'topology.kubernetes.io/zone': node.metadata.name === 'node1' ? 'zone-a' : 'zone-b'}
    const svc4 = cluster.services.find((s) => s.metadata.name === 'svc4')
    if (svc4) svc4.metadata.annotations = {'service.kubernetes.io/topology-mode': annotation}
    const slice = cluster.endpointSlices.find((s) => s.metadata.namespace === 'ns4')
    for (const [i, endpoint] of (slice?.endpoints ?? []).entries()) endpoint.hints = {forZones: [{name: i === 0 ? 'zone-a' : 'zone-b'}]}
    return cluster
  }
  const zonedNodes = [{name: 'node1', text: zoneA}, {name: 'node2', text: zoneB}, {name: 'node3', text: zoneB}]

  // The corpus dump is node1's: on node2 its svc2 "has no local endpoints" DROP is rightly flagged, so look at these two only.
  const only = ['nodes-disagree', 'missing-endpoint']

  it('near-miss: nodes in different zones hold their own zone\'s endpoints under topology hints', () => {
    const report = checkSnapshot(snapshotOf(zonedNodes, zonedCluster('Auto')), {only})
    expect(report.findings.map((f) => `${f.id} ${f.node}: ${f.message}`)).to.deep.equal([])
  })

  it('the same nodes when the Service does not ask for topology: they disagree and miss endpoints', () => {
    const report = checkSnapshot(snapshotOf(zonedNodes, zonedCluster('Disabled')), {only})
    expect(report.findings.filter((f) => f.id === 'nodes-disagree').map((f) => f.node)).to.deep.equal(['node1'])
    expect(findingCounts(report)).to.deep.equal({'nodes-disagree': 1, 'missing-endpoint': 3})
  })

  it('near-miss: identical nodes, and a single node, say nothing', () => {
    expect(findingCounts(checkSnapshot(snapshotOf([{name: 'a', text: OVERALL}, {name: 'b', text: OVERALL}])))).to.deep.equal({})
    expect(findingCounts(checkSnapshot(snapshotOf([{name: 'c', text: WITHOUT_SVC4_SECOND}])))).to.deep.equal({'orphan-chain': 1, 'last-rule-has-statistic': 1})
  })
})

/** TERMINATING with iptables-save -c counters on its three endpoint rules. */
function withCounters(packets: [number, number, number]): string {
  let i = 0
  return TERMINATING.split('\n')
    .map((line) => (line.startsWith('-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> ') ? `[${packets[i++]}:${packets[i - 1] * 60}] ${line}` : line))
    .join('\n')
}

describe('checks: counter-skew', () => {
  it('flags counters the probabilities cannot explain, with the numbers', () => {
    const report = checkSnapshot(snapshotOf([{name: 'n', text: withCounters([900, 50, 50])}]))
    expect(findingCounts(report)).to.deep.equal({'counter-skew': 1})
    expect(report.findings[0].message).to.match(/counted 900\/50\/50 of 1000 connections where the probabilities give 33\.3%\/33\.3%\/33\.3% \(expected 333\/333\/333\); χ²=1445\.\d, df=2, p=/)
  })

  it('near-miss: fair counts, and too few connections to judge', () => {
    expect(findingCounts(checkSnapshot(snapshotOf([{name: 'n', text: withCounters([350, 320, 330])}])))).to.deep.equal({})
    expect(findingCounts(checkSnapshot(snapshotOf([{name: 'n', text: withCounters([30, 0, 0])}])))).to.deep.equal({})
  })
})
