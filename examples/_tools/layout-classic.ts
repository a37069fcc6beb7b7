/**
 * kube-proxy's iptables layout before the 1.24 rewrite (no KUBE-EXT/KUBE-SVL; the masquerade
 * decision sits in KUBE-SERVICES and KUBE-NODEPORTS). Two eras are covered:
 *  - 'legacy' (~1.9, docker0 bridge networking, as in seeds/001): `ns/name:` comments for unnamed
 *    ports, KUBE-POSTROUTING masquerading on the mark directly, docker's chains;
 *  - '1.20' (kubeadm 1.20 + weave, as in seeds/000): MASQUERADE --random-fully after clearing the
 *    mark, kubelet's canary chains, weave's chains.
 * Probabilities are written as kube-proxy of those versions did (`%0.5f`).
 */
import {type ClusterSpec, type PortView, portViews, Ruleset} from './model.js'

export type ClassicEra = 'legacy' | '1.20'

export interface ClassicOptions {
  era: ClassicEra
  /** Extra rules (e.g. LOG rules a user inserted) as [table, rule] pairs, placed before kube-proxy's. */
  prepend?: [string, string][]
}

const NAT = ['PREROUTING ACCEPT', 'INPUT ACCEPT', 'OUTPUT ACCEPT', 'POSTROUTING ACCEPT']

export function classicRules(spec: ClusterSpec, opts: ClassicOptions): string {
  const r = new Ruleset()
  const filterPolicy = opts.era === 'legacy' ? 'ACCEPT' : 'DROP' // weave sets FORWARD DROP
  r.table('filter', ['INPUT ACCEPT', `FORWARD ${filterPolicy}`, 'OUTPUT ACCEPT']).table('nat', NAT)
  if (opts.era === '1.20') r.table('mangle', ['PREROUTING ACCEPT', 'INPUT ACCEPT', 'FORWARD ACCEPT', 'OUTPUT ACCEPT', 'POSTROUTING ACCEPT'])
  for (const [table, rule] of opts.prepend ?? []) r.add(table, rule)
  jumpRules(r, opts.era)
  for (const svc of spec.services) {
    for (const view of portViews(svc, opts.era === 'legacy')) servicePortRules(r, view, spec.clusterCIDR)
  }
  r.add('nat', '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  return r.text()
}

function jumpRules(r: Ruleset, era: ClassicEra): void {
  r.add('nat', '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  r.add('nat', '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  r.add('nat', '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
  r.add('nat', '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000')
  r.add('nat', '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000')
  r.chain('nat', 'KUBE-NODEPORTS').chain('nat', 'KUBE-SERVICES')
  r.add('filter', '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES')
  r.add('filter', '-A INPUT -j KUBE-FIREWALL')
  if (era === '1.20') weaveForwardRules(r)
  r.add('filter', '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD')
  if (era === '1.20') r.add('filter', '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  r.add('filter', '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  r.add('filter', '-A OUTPUT -j KUBE-FIREWALL')
  r.add('filter', '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP')
  r.chain('filter', 'KUBE-EXTERNAL-SERVICES').chain('filter', 'KUBE-SERVICES')
  if (era === 'legacy') legacyTail(r)
  else modernTail120(r)
}

/** docker0 bridge networking and kube-proxy ~1.9's postrouting. */
function legacyTail(r: Ruleset): void {
  r.add('nat', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER')
  r.add('nat', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER')
  r.add('nat', '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE')
  r.add('nat', '-A DOCKER -i docker0 -j RETURN')
  r.add('nat', '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -m mark --mark 0x4000/0x4000 -j MASQUERADE')
  r.add('filter', '-A FORWARD -j DOCKER-ISOLATION')
  r.add('filter', '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
  r.add('filter', '-A FORWARD -o docker0 -j DOCKER')
  r.add('filter', '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT')
  r.add('filter', '-A FORWARD -i docker0 -o docker0 -j ACCEPT')
  r.add('filter', '-A DOCKER-ISOLATION -j RETURN')
  r.chain('filter', 'DOCKER')
  r.add('filter', '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT')
}

function modernTail120(r: Ruleset): void {
  r.add('nat', '-A POSTROUTING -j WEAVE')
  r.add('nat', '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN')
  r.add('nat', '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0')
  r.add('nat', '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully')
  // weave's own masquerading (its ipset-based "no-masq-local" rule is left out: no ipsets here)
  r.add('nat', '-A WEAVE -s 10.32.0.0/12 -d 224.0.0.0/4 -j RETURN')
  r.add('nat', '-A WEAVE ! -s 10.32.0.0/12 -d 10.32.0.0/12 -j MASQUERADE')
  r.add('nat', '-A WEAVE -s 10.32.0.0/12 ! -d 10.32.0.0/12 -j MASQUERADE')
  r.add('filter', '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP')
  r.add('filter', '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP')
  r.add('filter', '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT')
  r.add('filter', '-A KUBE-FORWARD -s 10.32.0.0/12 -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
  r.add('filter', '-A KUBE-FORWARD -d 10.32.0.0/12 -m comment --comment "kubernetes forwarding conntrack pod destination rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
  for (const table of ['mangle', 'nat', 'filter']) r.chain(table, 'KUBE-KUBELET-CANARY').chain(table, 'KUBE-PROXY-CANARY')
}

/**
 * weave's FORWARD rules as weave installs them with its network-policy controller disabled
 * (`--no-npc`): traffic to and from the bridge is accepted. (With the controller, acceptance
 * lives in ipsets that a snapshot does not carry, which would make the example misleading.)
 */
function weaveForwardRules(r: Ruleset): void {
  r.add('filter', '-A FORWARD -i weave -o weave -j ACCEPT')
  r.add('filter', '-A FORWARD -i weave ! -o weave -j ACCEPT')
  r.add('filter', '-A FORWARD -o weave -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
}

function servicePortRules(r: Ruleset, v: PortView, clusterCIDR: string | undefined): void {
  const {spn, proto} = v
  const dport = `-m ${proto} --dport ${v.port.port}`
  const vip = `-d ${v.svc.clusterIP}/32 -p ${proto}`
  if (v.endpoints.length === 0) {
    r.add('filter', `-A KUBE-SERVICES ${vip} -m comment --comment "${spn} has no endpoints" ${dport} -j REJECT --reject-with icmp-port-unreachable`)
    if (v.port.nodePort) {
      r.add('filter', `-A KUBE-EXTERNAL-SERVICES -p ${proto} -m comment --comment "${spn} has no endpoints" -m addrtype --dst-type LOCAL -m ${proto} --dport ${v.port.nodePort} -j REJECT --reject-with icmp-port-unreachable`)
    }
    return
  }
  if (clusterCIDR) r.add('nat', `-A KUBE-SERVICES ! -s ${clusterCIDR} ${vip} -m comment --comment "${spn} cluster IP" ${dport} -j KUBE-MARK-MASQ`)
  r.add('nat', `-A KUBE-SERVICES ${vip} -m comment --comment "${spn} cluster IP" ${dport} -j ${v.svcChain}`)
  if (v.port.nodePort) {
    const np = `-A KUBE-NODEPORTS -p ${proto} -m comment --comment "${spn}" -m ${proto} --dport ${v.port.nodePort}`
    r.add('nat', `${np} -j KUBE-MARK-MASQ`)
    r.add('nat', `${np} -j ${v.svcChain}`)
  }
  const affinity = v.svc.affinitySeconds
  if (affinity) {
    for (const ep of v.endpoints) {
      r.add('nat', `-A ${v.svcChain} -m comment --comment "${spn}" -m recent --rcheck --seconds ${affinity} --reap --name ${ep.chain} --mask 255.255.255.255 --rsource -j ${ep.chain}`)
    }
  }
  v.endpoints.forEach((ep, i) => {
    const left = v.endpoints.length - i
    const statistic = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(5)}` : ''
    r.add('nat', `-A ${v.svcChain} -m comment --comment "${spn}"${statistic} -j ${ep.chain}`)
  })
  for (const ep of v.endpoints) {
    const recent = affinity ? ` -m recent --set --name ${ep.chain} --mask 255.255.255.255 --rsource` : ''
    r.add('nat', `-A ${ep.chain} -s ${ep.ip}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`)
    r.add('nat', `-A ${ep.chain} -p ${proto} -m comment --comment "${spn}"${recent} -m ${proto} -j DNAT --to-destination ${ep.target}`)
  }
}
