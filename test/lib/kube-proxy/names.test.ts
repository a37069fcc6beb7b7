/** Chain kinds from names (prefix tests give what a plain table lookup gives), and the names' hashes. */
import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {classifyChain, endpointChainName, HASHED_PREFIXES, isEndpointChainName, isPerServiceChain, portProtoHash, serviceChainName, type ChainKind} from '../../../src/lib/kube-proxy/names.js'
import {sha256Ascii, sha256AsciiJoined} from '../../../src/lib/kube-proxy/sha256.js'

/** The straightforward classification the fast one replaced: built-ins, fixed names, then prefixes. */
function reference(name: string, fixed: Map<string, ChainKind>): ChainKind {
  if (['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].includes(name)) return 'builtin'
  const known = fixed.get(name)
  if (known) return known
  for (const [prefix, kind] of Object.entries(HASHED_PREFIXES)) if (name.startsWith(prefix)) return kind
  return name.startsWith('KUBE-') ? 'kube-other' : 'other'
}

const FIXED = new Map<string, ChainKind>([
  ['KUBE-SERVICES', 'services'], ['KUBE-NODEPORTS', 'nodeports'], ['KUBE-EXTERNAL-SERVICES', 'external-services'],
  ['KUBE-POSTROUTING', 'postrouting'], ['KUBE-MARK-MASQ', 'mark-masq'], ['KUBE-MARK-DROP', 'mark-drop'],
  ['KUBE-FORWARD', 'forward'], ['KUBE-FIREWALL', 'firewall'], ['KUBE-PROXY-FIREWALL', 'proxy-firewall'],
  ['KUBE-PROXY-CANARY', 'canary'], ['KUBE-KUBELET-CANARY', 'canary'], ['KUBE-PORTALS-CONTAINER', 'portals'],
  ['KUBE-PORTALS-HOST', 'portals'], ['KUBE-NODEPORT-CONTAINER', 'userspace-nodeports'], ['KUBE-NODEPORT-HOST', 'userspace-nodeports'],
  ['CNI-HOSTPORT-DNAT', 'cni-hostport'], ['CNI-HOSTPORT-SNAT', 'cni-hostport'], ['CNI-HOSTPORT-SETMARK', 'cni-hostport'], ['CNI-HOSTPORT-MASQ', 'cni-hostport'],
])

const NAMES = [
  ...FIXED.keys(), 'PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING',
  ...Object.keys(HASHED_PREFIXES).flatMap((p) => [p, p + 'XPGD46QRK7WJZT7O', p.slice(0, -1), p.slice(0, -1) + 'X-Y']),
  'KUBE-', 'KUBE', 'KUBE-S', 'KUBE-SV', 'KUBE-SVCX-A', 'KUBE-EXTERNAL-X', 'KUBE-FWD', 'KUBE-XL', 'kube-svc-abc', 'CNI-', 'CNI-DNX',
  'CNI-abc', 'cali-PREROUTING', 'DOCKER', '', 'constructor', 'toString', '__proto__',
]

describe('kube-proxy: classifyChain', () => {
  for (const name of NAMES) {
    it(`"${name}"`, () => {
      expect(classifyChain(name)).to.equal(reference(name, FIXED))
      const perService = ['svc', 'svl', 'ext', 'fw', 'xlb', 'sep'].includes(reference(name, FIXED))
      expect(isPerServiceChain(name)).to.equal(perService)
    })
  }
})

describe('kube-proxy: sha256 of ASCII text', () => {
  const texts = ['', 'a', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'y'.repeat(63), 'z'.repeat(64), 'w'.repeat(119), 'v'.repeat(120), 'u'.repeat(1000),
    'ns1/svc1:p80tcp10.180.0.1:80', 'default/kubernetes:httpstcp', 'ns/s:ptcp[fd00:1234:5678:9abc:def0:1234:5678:9abc]:65535', '~!@#$%^&*()_+`-={}[]|\\:";\'<>?,./']
  for (const text of texts) {
    it(`${text.length} characters: ${text.slice(0, 40)}`, () => {
      expect(Buffer.from(sha256Ascii(text) as Uint8Array).toString('hex')).to.equal(createHash('sha256').update(text).digest('hex'))
    })
  }

  it('leaves non-ASCII text to node:crypto, and names built from it still match', () => {
    expect(sha256Ascii('ns/sväc:p')).to.equal(undefined)
    expect(portProtoHash('ns/sväc:p', 'tcp')).to.match(/^[A-Z2-7]{16}$/)
  })

  it('gives the chain names kube-proxy writes (from the corpus)', () => {
    expect(serviceChainName('KUBE-SVC-', 'ns1/svc1:p80', 'tcp')).to.equal('KUBE-SVC-XPGD46QRK7WJZT7O')
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).to.equal('KUBE-SEP-SXIVWICOYRO3J4NJ')
  })
  it('hashes three parts as their concatenation, across block boundaries', () => {
    for (const [a, b, c] of [['', '', ''], ['ns1/svc1:p80', 'tcp', '10.180.0.1:80'], ['x'.repeat(30), 'y'.repeat(25), ''], ['', 'z'.repeat(56), 'w'.repeat(70)]]) {
      expect(Buffer.from(sha256AsciiJoined(a, b, c) as Uint8Array).toString('hex')).to.equal(createHash('sha256').update(a + b + c).digest('hex'))
    }
    expect(sha256AsciiJoined('ns/s', 'tcp', '10.0.0.1:80ä')).to.equal(undefined)
  })
})

describe('kube-proxy: isEndpointChainName (compared in place) against endpointChainName', () => {
  const cases: [string, string, string][] = [
    ['ns1/svc1:p80', 'tcp', '10.180.0.1:80'], ['ns1/svc1:p80', 'UDP', '10.180.0.1:80'], ['default/kubernetes:https', 'tcp', '[fd00::1]:6443'],
    ['ns/sväc:p', 'tcp', '10.0.0.1:80'], ['ns/svc', 'sctp', '10.0.0.2:9'],
  ]
  for (const [port, protocol, endpoint] of cases) {
    it(`${port} ${protocol} ${endpoint}`, () => {
      const name = endpointChainName(port, protocol, endpoint)
      expect(isEndpointChainName(name, port, protocol, endpoint)).to.equal(true)
      // One character off anywhere in the hash, or another endpoint, protocol or length: no match.
      for (let i = 9; i < name.length; i++) {
        const other = name.slice(0, i) + (name[i] === 'A' ? 'B' : 'A') + name.slice(i + 1)
        expect(isEndpointChainName(other, port, protocol, endpoint)).to.equal(false)
      }
      expect(isEndpointChainName(name, port, protocol === 'tcp' ? 'udp' : 'tcp', endpoint)).to.equal(false)
      expect(isEndpointChainName(name, port, protocol, endpoint + '0')).to.equal(false)
      expect(isEndpointChainName(name + 'A', port, protocol, endpoint)).to.equal(false)
      expect(isEndpointChainName('KUBE-SVC-' + name.slice(9), port, protocol, endpoint)).to.equal(false)
    })
  }
})
