/** The kube-proxy model read off real dumps: corpus (every chain kind), examples, comment-less rules. */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import {parseServiceComment, servicePortKey, servicePortKeyByRegExp, servicePortKeyOf} from '../../../src/lib/kube-proxy/comments.js'
import {buildProxyModel} from '../../../src/lib/kube-proxy/model.js'
import {portProtoHash} from '../../../src/lib/kube-proxy/names.js'
import type {ServicePortModel} from '../../../src/lib/kube-proxy/types.js'
import {parseRules} from '../../../src/lib/parse/index.js'
import type {Service} from '../../../src/lib/snapshot/types.js'
import {quantizeProbability} from '../../../src/lib/trace/matches.js'
import {CORPUS_DIR} from '../../helpers/corpus.js'

const CORPUS = CORPUS_DIR
const load = (path: string) => parseRules(readFileSync(path, 'utf8'))

describe('kube-proxy: rule comments', () => {
  const cases: [string, ReturnType<typeof parseServiceComment>][] = [
    ['ns1/svc1:p80 cluster IP', {namespace: 'ns1', name: 'svc1', portName: 'p80', written: 'ns1/svc1:p80', role: 'cluster-ip'}],
    ['ns2/svc2:p80 external IP', {namespace: 'ns2', name: 'svc2', portName: 'p80', written: 'ns2/svc2:p80', role: 'external-ip'}],
    ['ns5/svc5:p80 loadbalancer IP', {namespace: 'ns5', name: 'svc5', portName: 'p80', written: 'ns5/svc5:p80', role: 'loadbalancer-ip'}],
    ['ns4/svc4:p80 -> 10.180.0.4:80', {namespace: 'ns4', name: 'svc4', portName: 'p80', written: 'ns4/svc4:p80', role: 'endpoint', endpoint: '10.180.0.4:80'}],
    ['ns4/svc4:p80 -> [fd00::1]:80', {namespace: 'ns4', name: 'svc4', portName: 'p80', written: 'ns4/svc4:p80', role: 'endpoint', endpoint: '[fd00::1]:80'}],
    ['default/ghost:', {namespace: 'default', name: 'ghost', portName: '', written: 'default/ghost:', role: 'other'}],
    ['default/ghost', {namespace: 'default', name: 'ghost', portName: '', written: 'default/ghost', role: 'other'}],
    ['ns6/svc6:p80 has no endpoints', {namespace: 'ns6', name: 'svc6', portName: 'p80', written: 'ns6/svc6:p80', role: 'no-endpoints'}],
    ['ns2/svc2:p80 has no local endpoints', {namespace: 'ns2', name: 'svc2', portName: 'p80', written: 'ns2/svc2:p80', role: 'no-local-endpoints'}],
    ['ns2/svc2:p80 health check node port', {namespace: 'ns2', name: 'svc2', portName: 'p80', written: 'ns2/svc2:p80', role: 'health-check'}],
    ['masquerade traffic for ns4/svc4:p80 external destinations', {namespace: 'ns4', name: 'svc4', portName: 'p80', written: 'ns4/svc4:p80', role: 'other'}],
    ['kubernetes service nodeports; NOTE: this must be the last rule in this chain', null],
    ['kubernetes service portals', null],
  ]
  for (const [comment, expected] of cases) it(JSON.stringify(comment), () => expect(parseServiceComment(comment)).to.deep.equal(expected))
})

describe('kube-proxy: model of TestOverallIPTablesRules (every chain kind)', () => {
  const model = buildProxyModel(load(`${CORPUS}/TestOverallIPTablesRules.rules`))
  const port = (key: string) => model.servicePorts.get(key) as ServicePortModel
  const table: [string, Partial<ServicePortModel>][] = [
    ['ns1/svc1:p80', {clusterIPs: ['172.30.0.41'], port: 80, nodePorts: [], externalTrafficPolicy: null, protocol: 'tcp'}],
    ['ns2/svc2:p80', {clusterIPs: ['172.30.0.42'], nodePorts: [3001], externalIPs: ['192.168.99.22'], loadBalancerIPs: ['1.2.3.4'], externalTrafficPolicy: 'Local', healthCheckNodePort: 30000}],
    ['ns3/svc3:p80', {nodePorts: [3003], externalTrafficPolicy: 'Cluster'}],
    ['ns4/svc4:p80', {externalIPs: ['192.168.99.33'], externalTrafficPolicy: 'Cluster'}],
    ['ns5/svc5:p80', {loadBalancerIPs: ['5.6.7.8'], loadBalancerSourceRanges: ['203.0.113.0/25'], affinitySeconds: 10800, nodePorts: [3002]}],
    ['ns6/svc6:p80', {clusterIPs: ['172.30.0.46'], port: 80}],
  ]
  for (const [key, expected] of table) it(key, () => expect(port(key)).to.deep.include(expected))

  it('endpoints carry cascade probabilities, affinity and their SEP chains', () => {
    expect(port('ns4/svc4:p80').endpoints.map((e) => [e.address, e.probability])).to.deep.equal([['10.180.0.4:80', 0.5], ['10.180.0.5:80', 0.5]])
    expect(port('ns5/svc5:p80').endpoints.map((e) => [e.address, e.affinity])).to.deep.equal([['10.180.0.3:80', true]])
    expect(port('ns1/svc1:p80').endpoints[0]).to.include({chain: 'KUBE-SEP-SXIVWICOYRO3J4NJ', ip: '10.180.0.1', port: 80})
  })

  it('reads the filter table: REJECT no endpoints, DROP no local endpoints', () => {
    expect(port('ns6/svc6:p80').rejectRules.map((r) => r.chain)).to.deep.equal(['KUBE-SERVICES'])
    expect(port('ns2/svc2:p80').dropRules).to.have.length(3)
    expect(model.chainOwner.get('KUBE-FW-NUKIZ6OKUXPJNT4C')).to.equal('ns5/svc5:p80')
    expect(model.orphanEndpointChains).to.deep.equal([])
  })
})

describe('kube-proxy: model of the examples', () => {
  it('ghost (1.20 layout, unnamed port written "default/ghost:")', () => {
    const model = buildProxyModel(load('examples/ghost/nodes/k8s-1/iptables-save.txt'))
    const ghost = model.servicePorts.get('default/ghost')!
    expect(ghost).to.include({protocol: 'tcp', port: 80, named: true})
    expect(ghost.chains.svc).to.equal('KUBE-SVC-4XJR4EADNBDQKTKS')
    expect(ghost.nodePorts).to.deep.equal([30966])
    expect(ghost.endpoints.map((e) => [e.address, e.probability])).to.deep.equal([['10.44.0.3:2368', 0.5], ['10.44.0.4:2368', 0.5]])
  })

  it('nginx: three endpoints whose effective probabilities sum to 1', () => {
    const model = buildProxyModel(load('examples/nginx/nodes/hjdevelop/iptables-save.txt'))
    const [nginx] = [...model.servicePorts.values()].filter((p) => p.name === 'nginx-service-nodeport')
    const q = quantizeProbability(0.33333)
    expect(nginx.endpoints.map((e) => e.probability)).to.deep.equal([q, (1 - q) * 0.5, (1 - q) * 0.5])
  })

  it('names comment-less chains from the Services hash (kube-proxy drops comments above 1000 endpoints)', () => {
    const text = readFileSync('examples/ghost/nodes/k8s-1/iptables-save.txt', 'utf8').replace(/ -m comment --comment ("[^"]*"|\S+)/g, '')
    const anonymous = buildProxyModel(parseRules(text))
    expect([...anonymous.servicePorts.keys()]).to.include('?/4XJR4EADNBDQKTKS')
    expect(anonymous.layout).to.include('no-comments')
    const services = JSON.parse(readFileSync('examples/ghost/cluster.json', 'utf8')).items.filter((i: {kind: string}) => i.kind === 'Service') as Service[]
    const named = buildProxyModel(parseRules(text), {services})
    const ghost = named.servicePorts.get('default/ghost')!
    expect(ghost.named).to.equal(true)
    expect(ghost.clusterIPs).to.deep.equal(['10.98.141.188'])
    expect(ghost.endpoints).to.have.length(2)
    expect(named.chainOwner.get(ghost.endpoints[0].chain)).to.equal('default/ghost')
  })

  it('the chain hash matches kube-proxy for named and unnamed ports', () => {
    expect(portProtoHash('default/ghost', 'tcp')).to.equal('4XJR4EADNBDQKTKS')
    expect(portProtoHash('ns1/svc1:p80', 'tcp')).to.equal('XPGD46QRK7WJZT7O')
  })
})

describe('kube-proxy: servicePortKeyOf', () => {
  const comments = [
    'ns1/svc1:p80 cluster IP', 'ns4/svc4:p80 -> 10.180.0.4:80', 'default/ghost:', 'default/ghost', 'masquerade traffic for ns4/svc4:p80 external destinations',
    'Balancing rule 0 for ns/svc:', 'x\tns/s:p', 'kubernetes service nodeports; NOTE: this must be the last rule in this chain', '', 'ns/svc:port-name-1 has no endpoints',
  ]
  for (const comment of comments) {
    it(JSON.stringify(comment), () => {
      const ref = parseServiceComment(comment)
      expect(servicePortKeyOf(comment)).to.equal(ref ? servicePortKey(ref) : undefined)
    })
  }

  it('reads words in place exactly as the SERVICE_PORT regexp does (tricky and random comments)', () => {
    const tricky = [
      'ns/svc:', ' ns/svc', 'ns/svc:p ', 'a/b', '-ns/svc', 'ns-/svc', 'ns/svc-', 'ns/svc.:p', 'ns/svc:P', 'ns/svc:p!', 'ns/svc/x',
      'x ns/svc:p-1 y', 'ns/-svc a/b', 'NS/svc a.b/c-d:e', '\u00a0ns/svc', 'x\u2028ns/s:p\u3000', 'ns/svc\u00a0', 'ns//svc', '/svc', 'ns/',
      'a.b.c/d-e.f:g-h-', '0/0:', 'ns/svc::p', 'ns/svc:p:q', 'ns/svc:p\tb/c',
    ]
    const alphabet = ['a', 'z', '0', '9', '.', '-', '/', ':', ' ', '\t', '\u00a0', 'X', '"', '\u2000']
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    const randomComments = Array.from({length: 20_000}, () => Array.from({length: 1 + Math.floor(random() * 14)}, () => alphabet[Math.floor(random() * alphabet.length)]).join(''))
    let found = 0
    for (const comment of [...tricky, ...randomComments]) {
      const expected = servicePortKeyByRegExp(comment)
      expect(servicePortKeyOf(comment), JSON.stringify(comment)).to.equal(expected)
      if (expected !== undefined) found++
    }
    expect(found).to.be.greaterThan(200) // the random comments do hit the shape
  })
})
