/**
 * kube-proxy's iptables layout as of 1.31 (pkg/proxy/iptables/proxier.go, and the corpus under
 * shared/corpus for the exact rule forms): per node, because traffic policy Local makes each
 * node's rules depend on which endpoints are local to it.
 *  - KUBE-SVC (cluster endpoints), KUBE-SVL (local endpoints), KUBE-EXT (external entry, with the
 *    "pod traffic"/"LOCAL traffic" short circuits for externalTrafficPolicy Local),
 *    KUBE-FW (loadBalancerSourceRanges) + filter KUBE-PROXY-FIREWALL;
 *  - probabilities written as `%0.10f` (the kernel prints them back with 11 decimals);
 *  - no endpoints → filter REJECT; no local endpoints under a Local policy → filter DROP.
 */
import {type ClusterSpec, type PortView, portViews, Ruleset} from './model.js'

export function modernRules(spec: ClusterSpec, nodeName: string): string {
  const r = new Ruleset()
  r.table('mangle', ['PREROUTING ACCEPT', 'INPUT ACCEPT', 'FORWARD ACCEPT', 'OUTPUT ACCEPT', 'POSTROUTING ACCEPT'])
  r.table('filter', ['INPUT ACCEPT', 'FORWARD ACCEPT', 'OUTPUT ACCEPT'])
  r.table('nat', ['PREROUTING ACCEPT', 'INPUT ACCEPT', 'OUTPUT ACCEPT', 'POSTROUTING ACCEPT'])
  fixedRules(r)
  for (const svc of spec.services) {
    for (const view of portViews(svc)) servicePortRules(r, view, nodeName, spec.clusterCIDR)
  }
  r.add('nat', '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  return r.text()
}

function fixedRules(r: Ruleset): void {
  r.chain('mangle', 'KUBE-IPTABLES-HINT') // kubelet's marker: "this node's rules live in legacy iptables"
  for (const table of ['mangle', 'nat', 'filter']) r.chain(table, 'KUBE-KUBELET-CANARY').chain(table, 'KUBE-PROXY-CANARY')
  const f = (rule: string) => r.add('filter', rule)
  f('-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL')
  f('-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS')
  f('-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES')
  f('-A INPUT -j KUBE-FIREWALL')
  f('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL')
  f('-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD')
  f('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  f('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES')
  f('-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL')
  f('-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  f('-A OUTPUT -j KUBE-FIREWALL')
  f('-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP')
  f('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP')
  f('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT')
  f('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
  for (const c of ['KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']) r.chain('filter', c)
  const n = (rule: string) => r.add('nat', rule)
  n('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  n('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  n('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
  n('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000')
  n('-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN')
  n('-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0')
  n('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully')
  r.chain('nat', 'KUBE-NODEPORTS').chain('nat', 'KUBE-SERVICES')
}

/** Which chains a service port uses on this node; the names follow proxier.go's variables. */
function plan(v: PortView, nodeName: string) {
  const internalLocal = v.svc.internalTrafficPolicy === 'Local'
  const externalLocal = v.svc.externalTrafficPolicy === 'Local'
  const externallyAccessible = v.port.nodePort !== undefined || (v.svc.loadBalancerIPs?.length ?? 0) > 0
  const local = v.endpoints.filter((ep) => ep.node === nodeName)
  const hasEndpoints = v.endpoints.length > 0
  // Even under externalTrafficPolicy Local the cluster endpoints are needed for short-circuiting.
  const usesCluster = hasEndpoints && (!internalLocal || externallyAccessible)
  const usesLocal = local.length > 0 && (internalLocal || (externalLocal && externallyAccessible))
  return {
    local, hasEndpoints, usesCluster, usesLocal, externalLocal,
    hasInternal: internalLocal ? local.length > 0 : hasEndpoints,
    hasExternal: externalLocal ? local.length > 0 : hasEndpoints,
    internalChain: internalLocal ? v.svlChain : v.svcChain,
    externalPolicyChain: externalLocal ? v.svlChain : v.svcChain,
    usesExt: hasEndpoints && externallyAccessible,
    usesFw: hasEndpoints && (v.svc.loadBalancerIPs?.length ?? 0) > 0 && (v.svc.loadBalancerSourceRanges?.length ?? 0) > 0,
  }
}

function servicePortRules(r: Ruleset, v: PortView, nodeName: string, clusterCIDR: string | undefined): void {
  const p = plan(v, nodeName)
  const {spn, proto} = v
  const match = (port: number) => `-p ${proto} -m comment --comment "${spn}" -m ${proto} --dport ${port}`
  const filterTarget = (hasSome: boolean) =>
    !p.hasEndpoints ? {target: 'REJECT --reject-with icmp-port-unreachable', why: 'has no endpoints'} : hasSome ? undefined : {target: 'DROP', why: 'has no local endpoints'}
  const internalFilter = filterTarget(p.hasInternal)
  const externalFilter = filterTarget(p.hasExternal)
  const vip = `-d ${v.svc.clusterIP}/32 -p ${proto}`

  if (internalFilter) r.add('filter', `-A KUBE-SERVICES ${vip} -m comment --comment "${spn} ${internalFilter.why}" -m ${proto} --dport ${v.port.port} -j ${internalFilter.target}`)
  else r.add('nat', `-A KUBE-SERVICES ${vip} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${v.port.port} -j ${p.internalChain}`)

  for (const lb of v.svc.loadBalancerIPs ?? []) {
    const lbMatch = `-d ${lb}/32 -p ${proto}`
    if (p.hasEndpoints) r.add('nat', `-A KUBE-SERVICES ${lbMatch} -m comment --comment "${spn} loadbalancer IP" -m ${proto} --dport ${v.port.port} -j ${p.usesFw ? v.fwChain : v.extChain}`)
    if (p.usesFw) r.add('filter', `-A KUBE-PROXY-FIREWALL ${lbMatch} -m comment --comment "${spn} traffic not accepted by ${v.fwChain}" -m ${proto} --dport ${v.port.port} -j DROP`)
    if (externalFilter) r.add('filter', `-A KUBE-EXTERNAL-SERVICES ${lbMatch} -m comment --comment "${spn} ${externalFilter.why}" -m ${proto} --dport ${v.port.port} -j ${externalFilter.target}`)
  }
  if (v.port.nodePort) {
    if (p.usesExt) {
      // localhost NodePorts (route_localnet), as the corpus (kube-proxy's own tests) writes them
      r.add('nat', `-A KUBE-NODEPORTS -d 127.0.0.0/8 ${match(v.port.nodePort)} -j ${v.extChain}`)
      r.add('nat', `-A KUBE-NODEPORTS ${match(v.port.nodePort)} -j ${v.extChain}`)
    }
    if (externalFilter) r.add('filter', `-A KUBE-EXTERNAL-SERVICES -p ${proto} -m comment --comment "${spn} ${externalFilter.why}" -m addrtype --dst-type LOCAL -m ${proto} --dport ${v.port.nodePort} -j ${externalFilter.target}`)
  }
  if (v.svc.healthCheckNodePort && v.svc.externalTrafficPolicy === 'Local') {
    r.add('filter', `-A KUBE-NODEPORTS -p tcp -m comment --comment "${spn} health check node port" -m tcp --dport ${v.svc.healthCheckNodePort} -j ACCEPT`)
  }
  if (!p.hasEndpoints) return

  if (p.hasInternal && clusterCIDR) {
    r.add('nat', `-A ${p.internalChain} ! -s ${clusterCIDR} ${vip} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${v.port.port} -j KUBE-MARK-MASQ`)
  }
  if (p.usesExt) externalChainRules(r, v, p, clusterCIDR)
  if (p.usesFw) {
    for (const cidr of v.svc.loadBalancerSourceRanges ?? []) {
      r.add('nat', `-A ${v.fwChain} -s ${cidr} -m comment --comment "${spn} loadbalancer IP" -j ${v.extChain}`)
    }
    r.add('nat', `-A ${v.fwChain} -m comment --comment "other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL"`)
  }
  if (p.usesCluster) endpointRules(r, v, v.svcChain, v.endpoints)
  if (p.usesLocal) endpointRules(r, v, v.svlChain, p.local)
  const reachable = new Map([...(p.usesCluster ? v.endpoints : []), ...(p.usesLocal ? p.local : [])].map((ep) => [ep.chain, ep]))
  for (const ep of reachable.values()) {
    const recent = v.svc.affinitySeconds ? ` -m recent --set --name ${ep.chain} --mask 255.255.255.255 --rsource` : ''
    r.add('nat', `-A ${ep.chain} -s ${ep.ip}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`)
    r.add('nat', `-A ${ep.chain} -p ${proto} -m comment --comment "${spn}"${recent} -m ${proto} -j DNAT --to-destination ${ep.target}`)
  }
}

function externalChainRules(r: Ruleset, v: PortView, p: ReturnType<typeof plan>, clusterCIDR: string | undefined): void {
  const {spn} = v
  if (!p.externalLocal) {
    r.add('nat', `-A ${v.extChain} -m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`)
  } else {
    if (clusterCIDR) r.add('nat', `-A ${v.extChain} -s ${clusterCIDR} -m comment --comment "pod traffic for ${spn} external destinations" -j ${v.svcChain}`)
    r.add('nat', `-A ${v.extChain} -m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`)
    r.add('nat', `-A ${v.extChain} -m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${v.svcChain}`)
  }
  if (p.hasExternal) r.add('nat', `-A ${v.extChain} -j ${p.externalPolicyChain}`)
  else r.chain('nat', v.extChain)
}

function endpointRules(r: Ruleset, v: PortView, chain: string, endpoints: PortView['endpoints']): void {
  r.chain('nat', chain)
  const comment = (ep: {target: string}) => `-m comment --comment "${v.spn} -> ${ep.target}"`
  if (v.svc.affinitySeconds) {
    for (const ep of endpoints) {
      r.add('nat', `-A ${chain} ${comment(ep)} -m recent --rcheck --seconds ${v.svc.affinitySeconds} --reap --name ${ep.chain} --mask 255.255.255.255 --rsource -j ${ep.chain}`)
    }
  }
  endpoints.forEach((ep, i) => {
    const left = endpoints.length - i
    const statistic = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : ''
    r.add('nat', `-A ${chain} ${comment(ep)}${statistic} -j ${ep.chain}`)
  })
}
