/**
 * Topology-aware routing (kubernetes pkg/proxy/topology.go): which ready endpoints a node's
 * KUBE-SVC chain holds, over a table of Services, hints and node labels.
 */
import {expect} from 'chai'
import {buildExpectations, endpointsKubeProxyUses} from '../../../src/lib/checks/expectations.js'
import {serviceRequestsTopology} from '../../../src/lib/checks/topology.js'
import type {ClusterObjects, Endpoint, Service} from '../../../src/lib/snapshot/types.js'

const A = '10.0.0.1'
const B = '10.0.0.2'
const C = '10.0.0.3'

interface Hinted {
  ip: string
  zones?: string[]
  nodes?: string[]
  ready?: boolean
}

function cluster(service: Partial<Service['spec']> & {annotations?: Record<string, string>}, endpoints: Hinted[], nodeZone?: string): ClusterObjects {
  const {annotations, ...spec} = service
  const toEndpoint = ({ip, zones, nodes, ready = true}: Hinted): Endpoint => ({
    addresses: [ip],
    conditions: {ready, serving: ready, terminating: false},
    ...((zones || nodes) && {hints: {forZones: zones?.map((name) => ({name})), forNodes: nodes?.map((name) => ({name}))}}),
  })
  return {
    nodes: [{metadata: {name: 'n1', labels: nodeZone ? {'topology.kubernetes.io/zone': nodeZone} : {}}}],
    configMaps: [],
    pods: [],
    services: [{metadata: {name: 'web', namespace: 'shop', annotations}, spec: {clusterIP: '10.96.0.10', ports: [{name: 'http', port: 80}], ...spec}}],
    endpointSlices: [
      {
        metadata: {name: 'web-1', namespace: 'shop', labels: {'kubernetes.io/service-name': 'web'}},
        addressType: 'IPv4',
        ports: [{name: 'http', protocol: 'TCP', port: 8080}],
        endpoints: endpoints.map(toEndpoint),
      },
    ],
  }
}

const AUTO = {annotations: {'service.kubernetes.io/topology-mode': 'Auto'}}
const zoned = [{ip: A, zones: ['a']}, {ip: B, zones: ['b']}, {ip: C, zones: ['a', 'b']}]

const CASES: {name: string; objects: ClusterObjects; expect: string[]}[] = [
  {name: 'hints for the node\'s zone: only those', objects: cluster(AUTO, zoned, 'a'), expect: [A, C]},
  {name: 'the other zone', objects: cluster(AUTO, zoned, 'b'), expect: [B, C]},
  {name: 'no endpoint hinted for the node\'s zone: all', objects: cluster(AUTO, zoned, 'c'), expect: [A, B, C]},
  {name: 'node without a zone label: all', objects: cluster(AUTO, zoned), expect: [A, B, C]},
  {name: 'a ready endpoint without hints: all', objects: cluster(AUTO, [...zoned, {ip: '10.0.0.4'}], 'a'), expect: [A, B, C, '10.0.0.4']},
  {name: 'a not-ready endpoint without hints does not count', objects: cluster(AUTO, [...zoned, {ip: '10.0.0.4', ready: false}], 'a'), expect: [A, C]},
  {name: 'Service without annotation or trafficDistribution: all', objects: cluster({}, zoned, 'a'), expect: [A, B, C]},
  {name: 'topology-mode Disabled: all', objects: cluster({annotations: {'service.kubernetes.io/topology-mode': 'Disabled'}}, zoned, 'a'), expect: [A, B, C]},
  {name: 'topology-mode wins over the legacy annotation', objects: cluster({annotations: {'service.kubernetes.io/topology-mode': 'disabled', 'service.kubernetes.io/topology-aware-hints': 'Auto'}}, zoned, 'a'), expect: [A, B, C]},
  {name: 'legacy topology-aware-hints: auto', objects: cluster({annotations: {'service.kubernetes.io/topology-aware-hints': 'auto'}}, zoned, 'a'), expect: [A, C]},
  {name: 'trafficDistribution PreferClose', objects: cluster({trafficDistribution: 'PreferClose'}, zoned, 'a'), expect: [A, C]},
  {name: 'node hints for this node win over zone hints', objects: cluster({trafficDistribution: 'PreferSameNode'}, [{ip: A, zones: ['a'], nodes: ['n2']}, {ip: B, zones: ['a'], nodes: ['n1']}], 'a'), expect: [B]},
  {name: 'node hints for other nodes only: zone hints', objects: cluster({trafficDistribution: 'PreferSameNode'}, [{ip: A, zones: ['a'], nodes: ['n2']}, {ip: B, zones: ['b'], nodes: ['n3']}], 'a'), expect: [A]},
]

describe('checks: topology-aware routing (CategorizeEndpoints)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const port = buildExpectations(c.objects).ports.get('shop/web:http')
      if (!port) throw new Error('no port')
      const zone = c.objects.nodes[0].metadata.labels?.['topology.kubernetes.io/zone']
      const used = endpointsKubeProxyUses(port, 4, {node: {name: 'n1', zone}, chain: 'cluster'})
      expect(used.map((e) => e.address)).to.deep.equal(c.expect.map((ip) => `${ip}:8080`))
    })
  }

  it('Local-policy chains and the terminating fallback ignore hints', () => {
    const port = buildExpectations(cluster(AUTO, zoned, 'a')).ports.get('shop/web:http')
    if (!port) throw new Error('no port')
    expect(endpointsKubeProxyUses(port, 4)).to.have.length(3)
    expect(endpointsKubeProxyUses(port, 4, {node: {name: 'n1', zone: 'a'}, chain: 'local'})).to.deep.equal([]) // no nodeName on them
  })

  const asks: [string, Partial<Service['spec']>, Record<string, string> | undefined, boolean][] = [
    ['nothing', {}, undefined, false],
    ['topology-mode: Auto', {}, {'service.kubernetes.io/topology-mode': 'Auto'}, true],
    ['topology-mode: empty', {}, {'service.kubernetes.io/topology-mode': ''}, false],
    ['topology-mode: disabled', {}, {'service.kubernetes.io/topology-mode': 'disabled'}, false],
    ['topology-aware-hints: Auto', {}, {'service.kubernetes.io/topology-aware-hints': 'Auto'}, true],
    ['trafficDistribution: PreferSameZone', {trafficDistribution: 'PreferSameZone'}, undefined, true],
  ]
  for (const [name, spec, annotations, expected] of asks) {
    it(`a Service with ${name} ${expected ? 'asks' : 'does not ask'} for topology`, () => {
      expect(serviceRequestsTopology({metadata: {name: 's', annotations}, spec})).to.equal(expected)
    })
  }
})
