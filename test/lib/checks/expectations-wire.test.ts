/** The cluster side as it crosses from the worker thread (expectations-wire.ts): decoded, it is what was encoded. */
import {expect} from 'chai'

import {buildExpectations, NO_HINTS} from '../../../src/lib/checks/expectations.js'
import {decodeExpectations, encodeExpectations} from '../../../src/lib/checks/expectations-wire.js'
import {parseClusterJson} from '../../../src/lib/snapshot/cluster-json.js'
import type {ClusterObjects} from '../../../src/lib/snapshot/types.js'
import {corpus} from '../snapshot/cluster-cases.js'

/** Every field the wire carries, in its odd forms: hints, pods, IPv6, an unnamed port, a fractional port, policies. */
function everyField(): ClusterObjects {
  const labels = {'kubernetes.io/service-name': 'web'}
  return {
    nodes: [{metadata: {name: 'a', labels: {'topology.kubernetes.io/zone': 'z1'}}}, {metadata: {name: 'b'}}],
    configMaps: [],
    pods: [{metadata: {name: 'web-1', namespace: 'shop'}, status: {podIPs: [{ip: '10.0.0.1'}, {ip: 'fd00::1'}]}}],
    services: [
      {metadata: {name: 'web', namespace: 'shop', annotations: {'service.kubernetes.io/topology-mode': 'Auto'}}, spec: {clusterIPs: ['10.96.0.10', 'fd00:96::10'], externalTrafficPolicy: 'Local', ports: [{name: 'http', port: 80}, {port: 81.5, protocol: 'UDP'}]}},
      {metadata: {name: 'other', labels: {'service.kubernetes.io/service-proxy-name': 'x'}}, spec: {clusterIP: 'None', internalTrafficPolicy: 'Local', ports: [{port: 53, protocol: 'SCTP'}]}},
    ],
    endpointSlices: [
      {metadata: {name: 'web-4', namespace: 'shop', labels}, addressType: 'IPv4', ports: [{name: 'http', port: 8080}, {protocol: 'UDP', port: 9000}], endpoints: [
        {addresses: ['10.0.0.1'], nodeName: 'a', targetRef: {name: 'web-1', namespace: 'shop'}, hints: {forZones: [{name: 'z1'}], forNodes: []}, conditions: {ready: true}},
        {addresses: ['10.0.0.2'], conditions: {ready: false, serving: true, terminating: true}, targetRef: {kind: 'Node', name: 'x'}},
        {addresses: ['10.0.0.3'], nodeName: 'b', hints: {forNodes: [{name: 'b'}, {name: 'a'}]}, conditions: {serving: false}},
      ]},
      {metadata: {name: 'web-6', namespace: 'shop', labels}, addressType: 'IPv6', ports: [{name: 'http', port: 8080}], endpoints: [{addresses: ['fd00:0::1'], nodeName: 'é', targetRef: {name: 'p'}}]},
    ],
  }
}

describe('checks: expectations on the wire', () => {
  const cases: [string, ClusterObjects][] = [['every field', everyField()], ...corpus().map(([name, text]): [string, ClusterObjects] => [name, parseClusterJson(text, 'cluster.json')])]
  for (const [name, objects] of cases) {
    it(`${name}: decoded, the expectations buildExpectations gave`, () => {
      const expected = buildExpectations(objects)
      const decoded = decodeExpectations(structuredClone(encodeExpectations(expected)), expected.hashIndex)
      expect(decoded).to.deep.equal(expected)
      expect(JSON.stringify([...decoded.ports.values()])).to.equal(JSON.stringify([...expected.ports.values()]))
      for (const port of decoded.ports.values()) {
        expect(port.endpoints).to.deep.equal([...port.byAddress.values()])
        for (const e of port.endpoints) expect(port.byAddress.get(e.address)).to.equal(e)
      }
    })
  }

  it('keeps the one shared "no hints" list, and a port\'s own hints', () => {
    const expected = buildExpectations(everyField())
    const decoded = decodeExpectations(encodeExpectations(expected), expected.hashIndex)
    const endpoints = decoded.ports.get('shop/web:http')?.endpoints ?? []
    expect(endpoints.map((e) => [e.zoneHints === NO_HINTS, e.nodeHints === NO_HINTS])).to.deep.equal([[false, false], [true, true], [true, false], [true, true]])
    expect(endpoints.map((e) => [e.zoneHints, e.nodeHints, e.pod, e.nodeName])).to.deep.equal([[['z1'], [], 'shop/web-1', 'a'], [[], [], undefined, undefined], [[], ['b', 'a'], undefined, 'b'], [[], [], 'p', 'é']])
    expect(decoded.ports.get('shop/web')?.port).to.equal(81.5)
  })
})
