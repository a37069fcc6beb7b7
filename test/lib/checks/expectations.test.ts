/** The cluster side: which endpoints kube-proxy should program, from EndpointSlices as the API serves them. */
import {expect} from 'chai'
import {buildExpectations, clusterIpsExpected, endpointsKubeProxyUses, isAcceptableEndpoint} from '../../../src/lib/checks/expectations.js'
import {canonicalEndpoint} from '../../../src/lib/checks/rules-view.js'
import {servicePortFromComment} from '../../../src/lib/checks/service-names.js'
import type {ClusterObjects, Endpoint} from '../../../src/lib/snapshot/types.js'

function dualStack(endpoints4: Endpoint[], endpoints6: Endpoint[]): ClusterObjects {
  const labels = {'kubernetes.io/service-name': 'web'}
  const ports = [{name: 'http', protocol: 'TCP', port: 8080}]
  return {
    nodes: [],
    configMaps: [],
    pods: [{metadata: {name: 'web-1', namespace: 'shop'}, status: {podIP: '10.0.0.1', podIPs: [{ip: '10.0.0.1'}, {ip: 'fd00::1'}]}}],
    services: [{metadata: {name: 'web', namespace: 'shop'}, spec: {clusterIPs: ['10.96.0.10', 'fd00:96::10'], ports: [{name: 'http', port: 80}]}}],
    endpointSlices: [
      {metadata: {name: 'web-4', namespace: 'shop', labels}, addressType: 'IPv4', ports, endpoints: endpoints4},
      {metadata: {name: 'web-6', namespace: 'shop', labels}, addressType: 'IPv6', ports, endpoints: endpoints6},
    ],
  }
}

describe('checks: cluster expectations', () => {
  const ready = (ip: string, nodeName = 'a'): Endpoint => ({addresses: [ip], nodeName, conditions: {ready: true}})
  const terminating = (ip: string, serving: boolean): Endpoint => ({addresses: [ip], nodeName: 'a', conditions: {ready: false, serving, terminating: true}})

  it('keys ports by kube-proxy service port name, per family, with canonical IPv6 endpoints', () => {
    const port = buildExpectations(dualStack([ready('10.0.0.1')], [ready('fd00:0::1')])).ports.get('shop/web:http')
    expect(port?.clusterIPs).to.deep.equal(['10.96.0.10', 'fd00:96::10'])
    expect(port && endpointsKubeProxyUses(port, 4).map((e) => e.address)).to.deep.equal(['10.0.0.1:8080'])
    expect(port && endpointsKubeProxyUses(port, 6).map((e) => e.address)).to.deep.equal(['[fd00::1]:8080'])
  })

  it('a nil ready condition means ready (API semantics)', () => {
    const port = buildExpectations(dualStack([{addresses: ['10.0.0.1']}], [])).ports.get('shop/web:http')
    expect(port && endpointsKubeProxyUses(port, 4)).to.have.length(1)
  })

  it('falls back to serving terminating endpoints only when none is ready', () => {
    const mixed = buildExpectations(dualStack([ready('10.0.0.1'), terminating('10.0.0.2', true)], [])).ports.get('shop/web:http')
    expect(mixed && endpointsKubeProxyUses(mixed, 4).map((e) => e.address)).to.deep.equal(['10.0.0.1:8080'])
    expect(mixed && isAcceptableEndpoint(mixed, '10.0.0.2:8080')).to.equal(true)
    const fallback = buildExpectations(dualStack([terminating('10.0.0.2', true), terminating('10.0.0.3', false)], [])).ports.get('shop/web:http')
    expect(fallback && endpointsKubeProxyUses(fallback, 4).map((e) => e.address)).to.deep.equal(['10.0.0.2:8080'])
    expect(fallback && isAcceptableEndpoint(fallback, '10.0.0.3:8080')).to.equal(false)
  })

  it('local endpoints for KUBE-SVL/XLB chains are the ones on the node', () => {
    const port = buildExpectations(dualStack([ready('10.0.0.1', 'a'), ready('10.0.0.2', 'b')], [])).ports.get('shop/web:http')
    expect(port && endpointsKubeProxyUses(port, 4, {node: {name: 'b'}, chain: 'local'}).map((e) => e.address)).to.deep.equal(['10.0.0.2:8080'])
    expect(port && endpointsKubeProxyUses(port, 4, {node: {name: 'c'}, chain: 'local'})).to.deep.equal([])
    expect(port && endpointsKubeProxyUses(port, 4, {node: {name: 'c'}, chain: 'cluster'})).to.have.length(2)
  })

  it('kube-proxy uses only the first address of an endpoint', () => {
    const port = buildExpectations(dualStack([{addresses: ['10.0.0.1', '10.0.0.9']}], [])).ports.get('shop/web:http')
    expect(port?.endpoints.map((e) => e.address)).to.deep.equal(['10.0.0.1:8080'])
  })

  it('expects nothing for a Service another proxy owns (service-proxy-name label)', () => {
    const objects = dualStack([ready('10.0.0.1')], [])
    objects.services[0].metadata.labels = {'service.kubernetes.io/service-proxy-name': 'cilium'}
    const port = buildExpectations(objects).ports.get('shop/web:http')
    expect(port && endpointsKubeProxyUses(port, 4)).to.deep.equal([])
    expect(port && clusterIpsExpected(port, 4)).to.deep.equal([])
  })

  it('indexes chain hashes and pod IPs', () => {
    const cluster = buildExpectations(dualStack([], []))
    expect(cluster.hashIndex.size).to.equal(1)
    expect(cluster.podsByIp.get('fd00::1')).to.equal('shop/web-1')
  })

  const comments: [string | undefined, string | undefined][] = [
    ['ns1/svc1:p80 cluster IP', 'ns1/svc1:p80'],
    ['default/nginx-service-nodeport:', 'default/nginx-service-nodeport'],
    ['masquerade traffic for ns2/svc2:p80 external destinations', 'ns2/svc2:p80'],
    ['ns4/svc4:p80 -> 10.180.0.4:80', 'ns4/svc4:p80'],
    ['kubernetes service nodeports; NOTE: this must be the last rule in this chain', undefined],
    ['10.180.0.4:80', undefined],
    [undefined, undefined],
  ]
  for (const [comment, servicePort] of comments) {
    it(`reads the service port from ${JSON.stringify(comment)}`, () => expect(servicePortFromComment(comment)).to.equal(servicePort))
  }

  it('canonicalises endpoints from rules and from the API the same way', () => {
    expect(canonicalEndpoint('[FD00:0:0::1]:80')).to.equal('[fd00::1]:80')
    expect(canonicalEndpoint('10.0.0.1:80')).to.equal('10.0.0.1:80')
    expect(canonicalEndpoint('not-an-endpoint')).to.equal('not-an-endpoint')
  })
})
