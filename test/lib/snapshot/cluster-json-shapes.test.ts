/**
 * cluster.json objects the analysis could not read: each must be an InputError (exit 4) that
 * names the file and the object, never a TypeError in a check (exit 70). And the near-misses the
 * API itself produces (null lists, absent optional fields) must still load.
 */
import {expect} from 'chai'
import {InputError} from '../../../src/lib/errors.js'
import {runChecks} from '../../../src/lib/checks/index.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import {parseClusterJson} from '../../../src/lib/snapshot/cluster-json.js'

const svc = (spec: unknown, metadata: object = {name: 'x', namespace: 'default'}) => ({kind: 'Service', metadata, ...(spec === undefined ? {} : {spec})})
const slice = (fields: object) => ({
  kind: 'EndpointSlice',
  metadata: {name: 'x-1', namespace: 'default', labels: {'kubernetes.io/service-name': 'x'}},
  addressType: 'IPv4',
  ...fields,
})
const list = (...items: unknown[]) => JSON.stringify({kind: 'List', items})

const BAD: [string, string, string][] = [
  ['a Service without spec', list(svc(undefined)), 'cluster.json: Service default/x has no spec'],
  ['a Service with spec null', list(svc(null)), 'cluster.json: Service default/x has no spec'],
  ['a Service whose spec is a string', list(svc('ClusterIP')), 'cluster.json: Service default/x has a spec that is not an object'],
  ['a Service without namespace', list(svc(undefined, {name: 'x'})), 'cluster.json: Service default/x has no spec'],
  ['Service ports that are not an array', list(svc({ports: {port: 80}})), 'cluster.json: Service default/x has spec.ports that is not an array of ports with a numeric "port"'],
  ['a Service port without a number', list(svc({ports: [{name: 'http', port: '80'}]})), 'cluster.json: Service default/x has spec.ports that is not an array of ports with a numeric "port"'],
  ['clusterIPs as a string', list(svc({clusterIPs: '10.96.0.1'})), 'cluster.json: Service default/x has spec.clusterIPs that is not an array of strings'],
  ['labels as a list', list(svc({}, {name: 'x', namespace: 'default', labels: ['a']})), 'cluster.json: Service default/x has metadata.labels that is not an object of strings'],
  ['an endpoint without addresses', list(slice({endpoints: [{conditions: {ready: true}}]})), 'cluster.json: EndpointSlice default/x-1 has endpoints[0] without addresses'],
  ['an endpoint with empty addresses', list(slice({endpoints: [{addresses: []}]})), 'cluster.json: EndpointSlice default/x-1 has endpoints[0] without addresses'],
  ['an endpoint address that is a string', list(slice({endpoints: [{addresses: '10.0.0.1'}]})), 'cluster.json: EndpointSlice default/x-1 has endpoints[0] without addresses'],
  ['an endpoint that is a string', list(slice({endpoints: ['10.0.0.1']})), 'cluster.json: EndpointSlice default/x-1 has endpoints[0] that is not an object'],
  ['slice endpoints as an object', list(slice({endpoints: {addresses: ['10.0.0.1']}})), 'cluster.json: EndpointSlice default/x-1 has endpoints that are not an array'],
  ['slice ports as an object', list(slice({ports: {port: 80}})), 'cluster.json: EndpointSlice default/x-1 has ports that are not an array of ports'],
  ['zone hints as strings', list(slice({endpoints: [{addresses: ['10.0.0.1'], hints: {forZones: ['a']}}]})), 'cluster.json: EndpointSlice default/x-1 has endpoints[0] with hints that are not {forZones, forNodes: [{name}]}'],
  ['pod IPs as strings', list({kind: 'Pod', metadata: {name: 'p', namespace: 'default'}, status: {podIPs: ['10.0.0.1']}}), 'cluster.json: Pod default/p has status.podIPs that is not an array of {ip}'],
  ['a List whose items is an object', JSON.stringify({kind: 'List', items: {}}), 'cluster.json: top level is a List without an "items" array'],
  ['a ServiceList whose items is null', JSON.stringify({kind: 'ServiceList', items: null}), 'cluster.json: top level is a ServiceList without an "items" array'],
  ['an item that is not an object', list(42), 'cluster.json: items[0] is not an object'],
]

const GOOD: [string, string][] = [
  ['a headless Service without ports', list(svc({clusterIP: 'None'}))],
  ['an ExternalName Service with null ports', list(svc({type: 'ExternalName', ports: null}))],
  ['a slice with null endpoints and ports', list(slice({endpoints: null, ports: null}))],
  ['a slice port without a number (all ports)', list(slice({ports: [{name: ''}], endpoints: [{addresses: ['10.0.0.1'], hints: {forZones: [{name: 'a'}]}}]}))],
  ['a Pod without status', list({kind: 'Pod', metadata: {name: 'p', namespace: 'default'}})],
  ['a kind kpx does not read, in any shape', list({kind: 'Deployment', metadata: {name: 'd'}, spec: 'anything'})],
]

describe('parseClusterJson: objects the analysis cannot read', () => {
  for (const [name, text, message] of BAD) {
    it(`rejects ${name}`, () => {
      expect(() => parseClusterJson(text, 'cluster.json')).to.throw(InputError).with.property('message', message)
    })
  }

  for (const [name, text] of GOOD) {
    it(`accepts ${name}, and the checks run on it`, () => {
      const cluster = parseClusterJson(text, 'cluster.json')
      const report = runChecks({origin: 'test', cluster, nodes: [{name: 'n', addresses: [], iptables: {origin: 'n', text: ''}}]}, {parse: () => parseRules('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n')})
      expect(report.findings).to.deep.equal([])
    })
  }

  it('exits 4 (input), with a single-line message', () => {
    try {
      parseClusterJson(list(svc(undefined)), '/tmp/snap/cluster.json')
      expect.fail('no error')
    } catch (error) {
      expect(error).to.be.instanceOf(InputError)
      expect((error as InputError).exitCode).to.equal(4)
      expect((error as InputError).message).to.equal('/tmp/snap/cluster.json: Service default/x has no spec')
    }
  })
})
