/** Chain kinds from names: the prefix tests give what a plain table lookup gives. */
import {expect} from 'chai'
import {classifyChain, HASHED_PREFIXES, isPerServiceChain, type ChainKind} from '../../../src/lib/kube-proxy/names.js'

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
