import {expect} from 'chai'

import {InputError} from '../../../src/lib/errors.js'
import {LazyRule} from '../../../src/lib/parse/index.js'
import {assertNoLateErrors, parseFamily, parseNodeRules} from '../../../src/lib/source/parse-node.js'
import type {NodeCapture, Snapshot} from '../../../src/lib/snapshot/types.js'
import {traceSnapshot} from '../../../src/lib/trace/index.js'

/** A node whose rules have one bad option value, either on the traced path or off it. */
function snapshotWithBadRule(onPath: boolean): Snapshot {
  const bad = onPath ? 'KUBE-SERVICES' : 'KUBE-UNUSED'
  const text = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-UNUSED - [0:0]',
    '-A PREROUTING -j KUBE-SERVICES',
    `-A ${bad} -p tcp -m tcp --dport 99999 -j ACCEPT`,
    '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.0.0.5:6443',
    'COMMIT',
    '',
  ].join('\n')
  const node: NodeCapture = {name: 'n1', iptables: {origin: 'rules.txt', text}, addresses: ['192.168.0.10']}
  return {origin: 'rules.txt', nodes: [node]}
}

const trace = (snapshot: Snapshot) => traceSnapshot(snapshot, {target: '10.96.0.1:443', src: '10.244.0.5', parse: (node, family) => parseFamily(node, family)})

describe('parse: lazy rules in the command path (source/parse-node)', () => {
  it('parses strictly and lazily: rules are decoded only when read', () => {
    const snapshot = snapshotWithBadRule(false)
    const dump = parseNodeRules(snapshot.nodes[0])
    const rules = dump.tables[0].chains.flatMap((c) => c.rules)
    expect(rules.every((r) => r instanceof LazyRule && !r.decoded)).to.equal(true)
  })

  it('a bad rule the trace never reads does not fail it', () => {
    const snapshot = snapshotWithBadRule(false)
    const [result] = trace(snapshot)
    expect(result.outcomes.map((o) => o.verdict)).to.include('DNAT')
    expect(() => assertNoLateErrors(snapshot.nodes)).not.to.throw()
  })

  it('a bad rule on the traced path is an InputError naming FILE:LINE (exit 4)', () => {
    const snapshot = snapshotWithBadRule(true)
    trace(snapshot)
    expect(() => assertNoLateErrors(snapshot.nodes))
      .to.throw(InputError, /^rules\.txt:9:\d+: error: --dport: bad port or range "99999" \[bad-option-value\]/)
      .with.property('exitCode', 4)
  })

  it('kpx rules (strict: false) on a node parsed lazily before decodes every rule and lists every problem', () => {
    const snapshot = snapshotWithBadRule(false)
    parseNodeRules(snapshot.nodes[0]) // lazily, as a live capture does
    const dump = parseNodeRules(snapshot.nodes[0], {strict: false})
    expect(dump.tables[0].chains.flatMap((c) => c.rules).some((r) => r instanceof LazyRule)).to.equal(false)
    expect(dump.issues.map((i) => [i.code, i.line])).to.deep.equal([['bad-option-value', 9]])
  })
})
