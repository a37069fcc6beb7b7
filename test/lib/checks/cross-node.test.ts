/** Checks that need more than one node, or counters: nodes-disagree, counter-skew. */
import {expect} from 'chai'
import {checkSnapshot, corpusRules, deleteLine, findingCounts, snapshotOf} from './helpers.js'

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
