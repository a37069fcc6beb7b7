/**
 * Every check: a fixture that triggers it and a near-miss that does not. Each case edits a real
 * kube-proxy dump from the corpus (and a cluster.json written to match it) and compares the
 * complete list of findings, so a check that fires where it should not fails the case too.
 */
import {expect} from 'chai'
import {CHECKS} from '../../../src/lib/checks/index.js'
import type {ClusterObjects, EndpointSlice, NodeMeta, Service} from '../../../src/lib/snapshot/types.js'
import {checkSnapshot, corpusRules, deleteLine, findingCounts, fixtureCluster, replaceOnce, snapshotOf} from './helpers.js'

const OVERALL = corpusRules('TestOverallIPTablesRules')
const TERMINATING = corpusRules('TestTerminatingEndpointsTrafficPolicyCluster-1')

function sliceOf(cluster: ClusterObjects, service: string): EndpointSlice {
  const slice = cluster.endpointSlices.find((s) => `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}` === service)
  if (!slice) throw new Error(`no slice for ${service}`)
  return slice
}

function addEndpoint(cluster: ClusterObjects, service: string, ip: string, conditions = {ready: true, serving: true, terminating: false}, nodeName = 'node1'): void {
  const slice = sliceOf(cluster, service)
  slice.endpoints = [...(slice.endpoints ?? []), {addresses: [ip], conditions, nodeName}]
}

function serviceOf(cluster: ClusterObjects, name: string): Service {
  const service = cluster.services.find((s) => s.metadata.name === name)
  if (!service) throw new Error(`no Service ${name}`)
  return service
}

/** What `iptables -t nat -F; iptables -t nat -X` on KUBE-* leaves: nat's built-in chains, nothing of kube-proxy. */
function flushKubeNat(text: string): string {
  let table = ''
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('*')) table = line.slice(1)
      return table !== 'nat' || !(line.startsWith(':KUBE-') || (line.startsWith('-A ') && line.includes('KUBE')))
    })
    .join('\n')
}

/** svc4 as kube-proxy in zone-a writes it when topology hints send zone-a to 10.180.0.4 only. */
function svc4OnlyFirstEndpoint(text: string): string {
  const single = replaceOnce(text, ' -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC', ' -j KUBE-SEP-UKSFD7AGPMPPLUHC')
  return text === single ? text : single.split('\n').filter((l) => !l.includes('C6EBXVWJJZMIWKLZ')).join('\n')
}

interface ZoneSetup {
  annotations?: Record<string, string>
  trafficDistribution?: string
  /** Zone hints of svc4's two endpoints (10.180.0.4 on node1, 10.180.0.5 on node2); undefined: no hint. */
  zones?: [string | undefined, string | undefined]
  nodeHints?: [string | undefined, string | undefined]
  /** node1's topology.kubernetes.io/zone label. */
  node1Zone?: string
}

/** Topology-aware routing for ns4/svc4: node1 in zone-a, node2 in zone-b. */
function zoned(setup: ZoneSetup): (c: ClusterObjects) => void {
  return (c) => {
    const zones = {node1: setup.node1Zone, node2: 'zone-b'}
    for (const node of c.nodes) {
      const zone = zones[node.metadata.name as 'node1' | 'node2']
      if (zone) node.metadata.labels = {'topology.kubernetes.io/zone': zone}
    }
    const svc = serviceOf(c, 'svc4')
    if (setup.annotations) svc.metadata.annotations = setup.annotations
    if (setup.trafficDistribution) svc.spec.trafficDistribution = setup.trafficDistribution
    for (const [i, endpoint] of (sliceOf(c, 'ns4/svc4').endpoints ?? []).entries()) {
      const zone = setup.zones?.[i]
      const node = setup.nodeHints?.[i]
      endpoint.hints = {...(zone && {forZones: [{name: zone}]}), ...(node && {forNodes: [{name: node}]})}
    }
  }
}

const AUTO = {'service.kubernetes.io/topology-mode': 'Auto'}
const FULL_HINTS: ZoneSetup = {annotations: AUTO, zones: ['zone-a', 'zone-b'], node1Zone: 'zone-a'}

const SVC4_SECOND_JUMP = '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ'
const SVC1_LAST_JUMP = '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ'
const T_FIRST = '--probability 0.33333333349 -j KUBE-SEP-3JOIVZTXZZRGORX4'
const T_LAST = '-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.5:80" -j KUBE-SEP-EQCHZ7S2PJ72OHAY'

interface Case {
  name: string
  /** The check this case is about; `near` marks a near-miss. */
  check: string
  near?: boolean
  base: 'overall' | 'terminating'
  rules?: (text: string) => string
  cluster?: (cluster: ClusterObjects) => void
  /** No cluster.json at all. */
  noCluster?: boolean
  meta?: NodeMeta
  expect: Record<string, number>
}

const CASES: Case[] = [
  {name: 'a pod deleted from the API, its SEP still in the rules', check: 'stale-endpoint', base: 'overall',
    cluster: (c) => {
      sliceOf(c, 'ns4/svc4').endpoints?.pop()
      c.pods = c.pods.filter((p) => p.metadata.name !== 'svc4-1')
    },
    expect: {'stale-endpoint': 1}},
  {name: 'an endpoint listed but not ready and not serving', check: 'stale-endpoint', base: 'overall',
    cluster: (c) => {
      const eps = sliceOf(c, 'ns4/svc4').endpoints ?? []
      eps[1].conditions = {ready: false, serving: false, terminating: false}
    },
    expect: {'stale-endpoint': 1}},
  {name: 'a terminating endpoint that still serves', check: 'stale-endpoint', near: true, base: 'overall',
    cluster: (c) => {
      const eps = sliceOf(c, 'ns4/svc4').endpoints ?? []
      eps[1].conditions = {ready: false, serving: true, terminating: true}
    },
    expect: {}},
  {name: 'a ready endpoint missing from the rules', check: 'missing-endpoint', base: 'overall',
    cluster: (c) => addEndpoint(c, 'ns4/svc4', '10.180.0.6'), expect: {'missing-endpoint': 1}},
  {name: 'a new endpoint that is not ready yet', check: 'missing-endpoint', near: true, base: 'overall',
    cluster: (c) => addEndpoint(c, 'ns4/svc4', '10.180.0.6', {ready: false, serving: false, terminating: false}), expect: {}},
  {name: 'terminating endpoints are left out while ready ones exist', check: 'missing-endpoint', near: true, base: 'terminating', expect: {}},
  {name: 'zone hints: the node in zone-a lacks the zone-b endpoint', check: 'missing-endpoint', near: true, base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned(FULL_HINTS), expect: {}},
  {name: 'zone hints via spec.trafficDistribution PreferClose', check: 'missing-endpoint', near: true, base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, annotations: undefined, trafficDistribution: 'PreferClose'}), expect: {}},
  {name: 'zone hints via the legacy topology-aware-hints annotation, lower-case auto', check: 'missing-endpoint', near: true, base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, annotations: {'service.kubernetes.io/topology-aware-hints': 'auto'}}), expect: {}},
  {name: 'node hints (PreferSameNode) without any zone label', check: 'missing-endpoint', near: true, base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({trafficDistribution: 'PreferSameNode', nodeHints: ['node1', 'node2']}), expect: {}},
  {name: 'zone hints, but one ready endpoint has none: kube-proxy ignores topology', check: 'missing-endpoint', base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, zones: ['zone-a', undefined]}), expect: {'missing-endpoint': 1}},
  {name: 'zone hints, but the node has no zone label', check: 'missing-endpoint', base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, node1Zone: undefined}), expect: {'missing-endpoint': 1}},
  {name: 'zone hints, but none for the node\'s zone', check: 'missing-endpoint', base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, node1Zone: 'zone-c'}), expect: {'missing-endpoint': 1}},
  {name: 'zone hints on a Service whose topology-mode is Disabled', check: 'missing-endpoint', base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, annotations: {'service.kubernetes.io/topology-mode': 'Disabled'}}), expect: {'missing-endpoint': 1}},
  {name: 'zone hints on a Service that does not ask for topology', check: 'missing-endpoint', base: 'overall',
    rules: svc4OnlyFirstEndpoint, cluster: zoned({...FULL_HINTS, annotations: undefined}), expect: {'missing-endpoint': 1}},
  {name: 'an endpoint with a second address: kube-proxy uses addresses[0] only', check: 'missing-endpoint', near: true, base: 'overall',
    cluster: (c) => {
      const eps = sliceOf(c, 'ns4/svc4').endpoints ?? []
      eps[1].addresses = ['10.180.0.5', '10.180.0.55']
    },
    expect: {}},
  {name: 'nat flushed: one finding for the node, not one per Service', check: 'no-kube-proxy-rules', base: 'overall',
    rules: flushKubeNat, expect: {'no-kube-proxy-rules': 1}},
  {name: 'an empty rules file', check: 'no-kube-proxy-rules', base: 'overall', rules: () => '', expect: {'no-kube-proxy-rules': 1}},
  {name: 'nat flushed, but no Service has ready endpoints', check: 'no-kube-proxy-rules', near: true, base: 'overall',
    rules: flushKubeNat, cluster: (c) => {
      for (const slice of c.endpointSlices) slice.endpoints = []
    },
    expect: {}},
  {name: 'nat flushed without cluster.json', check: 'no-kube-proxy-rules', near: true, base: 'overall', noCluster: true, rules: flushKubeNat, expect: {}},
  {name: 'nat flushed on a node whose kube-proxy runs in ipvs mode: info', check: 'no-kube-proxy-rules', near: true, base: 'overall',
    rules: flushKubeNat, meta: {kubeProxyMode: 'ipvs'}, expect: {'no-kube-proxy-rules': 1}},
  {name: 'a Service another proxy owns (service-proxy-name) has no rules', check: 'service-without-rules', near: true, base: 'overall',
    rules: (t) => t.split('\n').filter((l) => !l.includes('XPGD46QRK7WJZT7O') && !l.includes('SXIVWICOYRO3J4NJ')).join('\n'),
    cluster: (c) => {
      serviceOf(c, 'svc1').metadata.labels = {'service.kubernetes.io/service-proxy-name': 'cilium'}
    },
    expect: {}},
  {name: 'a Service with ready endpoints but no KUBE-SERVICES rule', check: 'service-without-rules', base: 'overall',
    rules: (t) => deleteLine(t, '"ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC'),
    expect: {'service-without-rules': 1, 'orphan-chain': 1}},
  {name: 'a Service without endpoints and without rules', check: 'service-without-rules', near: true, base: 'overall',
    rules: (t) => deleteLine(t, 'ns6/svc6:p80 has no endpoints'), expect: {}},
  {name: 'rules for a deleted Service', check: 'rules-for-deleted-service', base: 'overall',
    cluster: (c) => {
      c.services = c.services.filter((s) => s.metadata.name !== 'svc3')
      c.endpointSlices = c.endpointSlices.filter((s) => s.metadata.namespace !== 'ns3')
    },
    expect: {'rules-for-deleted-service': 1}},
  {name: 'a Service whose port was renamed', check: 'rules-for-deleted-service', base: 'overall',
    cluster: (c) => {
      const svc = c.services.find((s) => s.metadata.name === 'svc1')
      if (svc?.spec.ports) svc.spec.ports[0].name = 'http'
    },
    expect: {'rules-for-deleted-service': 1}},
  {name: 'the older unnamed-port comment form "ns/svc:"', check: 'rules-for-deleted-service', near: true, base: 'terminating',
    rules: (t) => t.replaceAll('"ns1/svc1 ', '"ns1/svc1: ').replaceAll('"ns1/svc1"', '"ns1/svc1:"'), expect: {}},
  {name: 'REJECT "has no endpoints" while the API lists a ready one', check: 'no-endpoints-rule', base: 'overall',
    cluster: (c) => addEndpoint(c, 'ns6/svc6', '10.180.0.9'), expect: {'no-endpoints-rule': 1}},
  {name: 'DROP "has no local endpoints" while a local endpoint is ready', check: 'no-endpoints-rule', base: 'overall',
    cluster: (c) => {
      const eps = sliceOf(c, 'ns2/svc2').endpoints ?? []
      eps[0].nodeName = 'node1'
    },
    expect: {'no-endpoints-rule': 3}},
  {name: 'REJECT "has no endpoints" while the only endpoint is not ready', check: 'no-endpoints-rule', near: true, base: 'overall',
    cluster: (c) => addEndpoint(c, 'ns6/svc6', '10.180.0.9', {ready: false, serving: false, terminating: false}), expect: {}},
  {name: '0.5 / 0.5 / last over three endpoints', check: 'probability-nonuniform', base: 'terminating',
    rules: (t) => replaceOnce(t, T_FIRST, T_FIRST.replace('0.33333333349', '0.50000000000')), expect: {'probability-nonuniform': 1}},
  {name: "kube-proxy's old 5-decimal 0.33333 / 0.50000 / last", check: 'probability-nonuniform', near: true, base: 'terminating',
    rules: (t) => replaceOnce(t, T_FIRST, T_FIRST.replace('0.33333333349', '0.33332999982')), expect: {}},
  {name: 'probability 0', check: 'probability-out-of-range', base: 'terminating',
    rules: (t) => replaceOnce(t, T_FIRST, T_FIRST.replace('0.33333333349', '0.00000000000')), expect: {'probability-out-of-range': 1}},
  {name: 'the last rule carries probability 1', check: 'probability-out-of-range', near: true, base: 'terminating',
    rules: (t) => replaceOnce(t, T_LAST, T_LAST.replace(' -j ', ' -m statistic --mode random --probability 1.00000000000 -j ')), expect: {}},
  {name: 'a two-endpoint cascade whose last rule has no statistic', check: 'last-rule-has-statistic', near: true, base: 'overall', expect: {}},
  {name: 'the last rule carries probability 0.5', check: 'last-rule-has-statistic', base: 'terminating',
    rules: (t) => replaceOnce(t, T_LAST, T_LAST.replace(' -j ', ' -m statistic --mode random --probability 0.50000000000 -j ')),
    expect: {'last-rule-has-statistic': 1}},
  {name: 'the same SEP twice in a cascade', check: 'duplicate-endpoint', base: 'overall',
    rules: (t) => replaceOnce(t, SVC4_SECOND_JUMP, SVC4_SECOND_JUMP.replace('C6EBXVWJJZMIWKLZ', 'UKSFD7AGPMPPLUHC')),
    expect: {'duplicate-endpoint': 1, 'missing-endpoint': 1, 'orphan-chain': 1}},
  {name: 'session affinity jumps to one SEP twice (rcheck + cascade)', check: 'duplicate-endpoint', near: true, base: 'overall', expect: {}},
  {name: 'a rule after the unconditional last jump', check: 'unreachable-rule', base: 'overall',
    rules: (t) => replaceOnce(t, SVC1_LAST_JUMP, `${SVC1_LAST_JUMP}\n-A KUBE-SVC-XPGD46QRK7WJZT7O -j KUBE-MARK-MASQ`), expect: {'unreachable-rule': 1}},
  {name: 'an unconditional non-terminal jump before the last rule', check: 'unreachable-rule', near: true, base: 'overall',
    rules: (t) => replaceOnce(t, SVC1_LAST_JUMP, `-A KUBE-SVC-XPGD46QRK7WJZT7O -j KUBE-MARK-MASQ\n${SVC1_LAST_JUMP}`), expect: {}},
  {name: 'nat OUTPUT lost its jump to KUBE-SERVICES', check: 'service-portals-jump', base: 'overall',
    rules: (t) => deleteLine(t, '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'), expect: {'service-portals-jump': 1}},
  {name: 'nat OUTPUT reaches KUBE-SERVICES through another chain', check: 'service-portals-jump', near: true, base: 'overall',
    rules: (t) =>
      replaceOnce(
        replaceOnce(t, ':KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]', ':KPX-HOP - [0:0]\n:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]'),
        '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A OUTPUT -j KPX-HOP\n-A KPX-HOP -j KUBE-SERVICES',
      ),
    expect: {}},
  {name: 'nat POSTROUTING lost its jump to KUBE-POSTROUTING', check: 'postrouting-jump', base: 'overall',
    rules: (t) => deleteLine(t, '-A POSTROUTING -m comment'), expect: {'postrouting-jump': 1}},
  {name: 'nat POSTROUTING reaches KUBE-POSTROUTING through another chain', check: 'postrouting-jump', near: true, base: 'overall',
    rules: (t) =>
      replaceOnce(
        replaceOnce(t, ':KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]', ':KPX-HOP - [0:0]\n:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]'),
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A POSTROUTING -j KPX-HOP\n-A KPX-HOP -j KUBE-POSTROUTING',
      ),
    expect: {}},
  {name: 'KUBE-POSTROUTING without MASQUERADE', check: 'masquerade-missing', base: 'overall',
    rules: (t) => deleteLine(t, '-j MASQUERADE'), expect: {'masquerade-missing': 1}},
  {name: 'MASQUERADE --random-fully', check: 'masquerade-missing', near: true, base: 'overall',
    rules: (t) => replaceOnce(t, '-j MASQUERADE', '-j MASQUERADE --random-fully'), expect: {}},
  {name: 'a jump to a chain that was never declared', check: 'missing-chain-jump', base: 'overall',
    rules: (t) => t.split('\n').filter((l) => !l.includes('KUBE-SVC-XPGD46QRK7WJZT7O') || l.startsWith('-A KUBE-SERVICES')).join('\n'),
    expect: {'missing-chain-jump': 1, 'orphan-chain': 1}},
  {name: 'a jump to an extension target (LOG)', check: 'missing-chain-jump', near: true, base: 'overall',
    rules: (t) => replaceOnce(t, SVC1_LAST_JUMP, `-A KUBE-SVC-XPGD46QRK7WJZT7O -j LOG --log-prefix "kpx "\n${SVC1_LAST_JUMP}`), expect: {}},
  {name: 'a SEP chain no rule uses', check: 'orphan-chain', base: 'overall',
    rules: (t) =>
      replaceOnce(
        replaceOnce(t, ':KUBE-SERVICES - [0:0]\n:KUBE-SVC', ':KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC'),
        SVC1_LAST_JUMP,
        `${SVC1_LAST_JUMP}\n-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m tcp -j DNAT --to-destination 10.180.0.77:80`,
      ),
    expect: {'orphan-chain': 1}},
  {name: "kube-proxy's unreferenced canary chain", check: 'orphan-chain', near: true, base: 'overall',
    rules: (t) => replaceOnce(t, ':KUBE-SERVICES - [0:0]\n:KUBE-SVC', ':KUBE-PROXY-CANARY - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC'), expect: {}},
  {name: 'the older unnamed-port form "ns/svc:" hashes like "ns/svc"', check: 'hash-mismatch', near: true, base: 'terminating', noCluster: true,
    rules: (t) => t.replaceAll('"ns1/svc1 ', '"ns1/svc1: ').replaceAll('"ns1/svc1"', '"ns1/svc1:"'), expect: {}},
  {name: 'a chain renamed away from its hash', check: 'hash-mismatch', base: 'overall',
    rules: (t) => t.replaceAll('KUBE-SVC-XPGD46QRK7WJZT7O', 'KUBE-SVC-AAAAAAAAAAAAAAAA'), expect: {'hash-mismatch': 1}},
  {name: 'an SEP chain claiming another Service', check: 'hash-mismatch', base: 'overall',
    rules: (t) => t.replaceAll('"ns1/svc1:p80"', '"ns3/svc3:p80"'), expect: {'hash-mismatch': 1}},
  {name: 'without cluster.json the cluster checks stay silent (the SEP hash still gives the edit away)', check: 'stale-endpoint', near: true,
    base: 'overall', noCluster: true, rules: (t) => t.replaceAll('10.180.0.5:80', '10.180.0.55:80'), expect: {'hash-mismatch': 1}},
  {name: 'an nf_tables dump without the legacy warning', check: 'backend-split', near: true, base: 'overall',
    rules: (t) => `# Generated by iptables-save v1.8.9 (nf_tables) on Sat Nov 21 23:46:00 2026\n${t}`, expect: {}},
  {name: 'iptables-nft says legacy tables are present', check: 'backend-split', base: 'overall',
    rules: (t) => `# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n${t}`, expect: {'backend-split': 1}},
]

describe('checks catalogue: trigger and near-miss fixtures', () => {
  for (const c of CASES) {
    it(`${c.check}${c.near ? ' (near-miss)' : ''}: ${c.name}`, () => {
      const base = c.base === 'overall' ? OVERALL : TERMINATING
      const cluster = c.noCluster ? undefined : fixtureCluster(`${c.base}/cluster.json`)
      if (cluster) c.cluster?.(cluster)
      const snapshot = snapshotOf([{name: 'node1', text: c.rules ? c.rules(base) : base, meta: c.meta}], cluster)
      const report = checkSnapshot(snapshot)
      expect(findingCounts(report), report.findings.map((f) => `${f.id}: ${f.message}`).join('\n')).to.deep.equal(c.expect)
      // Parsed lazily (as the CLI does), the checks read facts from undecoded lines: same report.
      expect(checkSnapshot(snapshot, {lazy: true})).to.deep.equal(report)
    })
  }

  it('has a trigger and a near-miss for every check (the multi-node, counter and size ones in their own files)', () => {
    const elsewhere = new Set(['counter-skew', 'nodes-disagree', 'rule-count'])
    for (const {id} of CHECKS.filter((c) => !elsewhere.has(c.id))) {
      expect(CASES.some((c) => c.check === id && !c.near && Object.keys(c.expect).includes(id)), `trigger for ${id}`).to.equal(true)
      expect(CASES.some((c) => c.check === id && c.near), `near-miss for ${id}`).to.equal(true)
    }
  })
})
