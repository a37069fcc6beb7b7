import {expect} from 'chai'

import {indexCluster} from '../../../src/lib/snapshot/cluster-index.js'
import type {ClusterObjects, Pod} from '../../../src/lib/snapshot/types.js'

const pod = (name: string, ip: string, extra: {hostNetwork?: boolean; phase?: string; namespace?: string} = {}): Pod => ({
  metadata: {name, namespace: extra.namespace ?? 'default'},
  spec: {nodeName: 'n1', hostNetwork: extra.hostNetwork},
  status: {podIP: ip, podIPs: [{ip}], phase: extra.phase ?? 'Running'},
})

const objects: ClusterObjects = {
  nodes: [{metadata: {name: 'n1'}, status: {addresses: [{type: 'InternalIP', address: '10.0.0.1'}, {type: 'InternalIP', address: '2001:db8::1'}]}}],
  services: [{metadata: {name: 'web', namespace: 'shop'}, spec: {clusterIP: '10.96.0.5'}}],
  endpointSlices: [
    {metadata: {name: 'web-abc', namespace: 'shop', labels: {'kubernetes.io/service-name': 'web'}}, addressType: 'IPv4'},
    {metadata: {name: 'web-v6', namespace: 'shop', labels: {'kubernetes.io/service-name': 'web'}}, addressType: 'IPv6'},
    {metadata: {name: 'web-other', namespace: 'other', labels: {'kubernetes.io/service-name': 'web'}}, addressType: 'IPv4'},
    {metadata: {name: 'orphan', namespace: 'shop'}, addressType: 'IPv4'},
  ],
  pods: [
    pod('old-job', '10.244.0.7', {phase: 'Succeeded'}),
    pod('host-agent', '10.0.0.1', {hostNetwork: true, namespace: 'kube-system'}),
    pod('web-1', '10.244.0.7', {namespace: 'shop'}),
    pod('v6', '2001:db8:0:0::7'),
  ],
  configMaps: [],
}

describe('indexCluster', () => {
  const index = indexCluster(objects)

  it('finds services and their endpoint slices by namespace/name', () => {
    expect(index.service('shop', 'web')?.spec.clusterIP).to.equal('10.96.0.5')
    expect(index.service('default', 'web')).to.equal(undefined)
    expect(index.endpointSlices('shop', 'web').map((s) => s.metadata.name)).to.deep.equal(['web-abc', 'web-v6'])
    expect(index.endpointSlices('shop', 'none')).to.deep.equal([])
  })

  it('prefers a running pod-network pod when several pods report an IP', () => {
    expect(index.podByIP('10.244.0.7')?.metadata.name).to.equal('web-1')
    expect(index.podsByIP('10.244.0.7').map((p) => p.metadata.name)).to.deep.equal(['web-1', 'old-job'])
    expect(index.podByIP('10.0.0.1')?.metadata.name).to.equal('host-agent')
    expect(index.pod('shop', 'web-1')?.status?.podIP).to.equal('10.244.0.7')
  })

  it('compares IPv6 addresses canonically', () => {
    expect(index.podByIP('2001:DB8::7')?.metadata.name).to.equal('v6')
    expect(index.nodeByAddress('2001:db8:0::1')?.metadata.name).to.equal('n1')
    expect(index.node('n1')?.metadata.name).to.equal('n1')
    expect(index.nodeByAddress('10.0.0.2')).to.equal(undefined)
  })
})
