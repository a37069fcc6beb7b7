/**
 * Writes generated services as kube-proxy would (pkg/proxy/iptables/proxier.go, 1.28+): the
 * same chains, rule order, comments and match order as the corpus dumps, as
 * iptables-restore input for the nat and filter tables.
 */
import type {GeneratedEndpoint, GeneratedService} from './ruleset-generator.js'

const MASQ = 'KUBE-MARK-MASQ'

// The jump rules kube-proxy installs in the built-in chains (copied from the corpus).
const NAT_HEAD = [
  '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
  '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
  '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE',
]
const FILTER_HEAD = [
  '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
  '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  '-A INPUT -j KUBE-FIREWALL',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A OUTPUT -j KUBE-FIREWALL',
  '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
  '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
  '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
]
const FILTER_CHAINS = ['KUBE-EXTERNAL-SERVICES', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']

class Rules {
  readonly chains = new Set<string>()
  readonly lines: string[] = []
  add(chain: string, rest: string): void {
    this.chains.add(chain)
    this.lines.push(`-A ${chain} ${rest}`)
  }
}

function portMatch(svc: GeneratedService, port: number): string {
  return `-p ${svc.proto} -m comment --comment "${svc.key}COMMENT" -m ${svc.proto} --dport ${port}`
}

function withComment(match: string, comment: string): string {
  return match.replace('COMMENT', comment)
}

function recentArgs(chain: string): string {
  return `--name ${chain} --mask 255.255.255.255 --rsource`
}

/** kube-proxy's writeServiceToEndpointRules: affinity rchecks first, then the random split. */
function writeEndpointJumps(nat: Rules, svc: GeneratedService, chain: string, endpoints: GeneratedEndpoint[]): void {
  const comment = (ep: GeneratedEndpoint) => `-m comment --comment "${svc.key} -> ${ep.ip}:${ep.port}"`
  if (svc.affinity) {
    for (const ep of endpoints) nat.add(chain, `${comment(ep)} -m recent --rcheck --seconds 10800 --reap ${recentArgs(ep.chain)} -j ${ep.chain}`)
  }
  endpoints.forEach((ep, i) => {
    const left = endpoints.length - i
    const statistic = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : ''
    nat.add(chain, `${comment(ep)}${statistic} -j ${ep.chain}`)
  })
}

function writeEndpointChains(nat: Rules, svc: GeneratedService): void {
  for (const ep of svc.endpoints) {
    const comment = `-m comment --comment "${svc.key}"`
    nat.add(ep.chain, `-s ${ep.ip}/32 ${comment} -j ${MASQ}`)
    const recent = svc.affinity ? ` -m recent --set ${recentArgs(ep.chain)}` : ''
    nat.add(ep.chain, `-p ${svc.proto} ${comment}${recent} -m ${svc.proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`)
  }
}

function writeExternalChain(nat: Rules, svc: GeneratedService, clusterCidr: string): void {
  const ext = svc.extChain
  if (!svc.externalLocal) {
    nat.add(ext, `-m comment --comment "masquerade traffic for ${svc.key} external destinations" -j ${MASQ}`)
    nat.add(ext, `-j ${svc.svcChain}`)
    return
  }
  nat.add(ext, `-s ${clusterCidr} -m comment --comment "pod traffic for ${svc.key} external destinations" -j ${svc.svcChain}`)
  nat.add(ext, `-m comment --comment "masquerade LOCAL traffic for ${svc.key} external destinations" -m addrtype --src-type LOCAL -j ${MASQ}`)
  nat.add(ext, `-m comment --comment "route LOCAL traffic for ${svc.key} external destinations" -m addrtype --src-type LOCAL -j ${svc.svcChain}`)
  const local = svc.endpoints.filter((ep) => ep.local)
  if (local.length > 0) {
    nat.add(ext, `-j ${svc.svlChain}`)
    writeEndpointJumps(nat, svc, svc.svlChain, local)
  }
}

function externalEntries(svc: GeneratedService): {ip: string; kind: string; target: string}[] {
  return [
    ...svc.externalIps.map((ip) => ({ip, kind: 'external IP', target: svc.extChain})),
    ...svc.loadBalancerIps.map((ip) => ({ip, kind: 'loadbalancer IP', target: svc.sourceRanges.length > 0 ? svc.fwChain : svc.extChain})),
  ]
}

function writeServiceWithEndpoints(nat: Rules, filter: Rules, svc: GeneratedService, clusterCidr: string): void {
  const match = portMatch(svc, svc.port)
  nat.add('KUBE-SERVICES', `-d ${svc.clusterIp}/32 ${withComment(match, ' cluster IP')} -j ${svc.svcChain}`)
  nat.add(svc.svcChain, `! -s ${clusterCidr} -d ${svc.clusterIp}/32 ${withComment(match, ' cluster IP')} -j ${MASQ}`)
  writeEndpointJumps(nat, svc, svc.svcChain, svc.endpoints)
  const external = externalEntries(svc)
  for (const entry of external) nat.add('KUBE-SERVICES', `-d ${entry.ip}/32 ${withComment(match, ` ${entry.kind}`)} -j ${entry.target}`)
  if (svc.nodePort) nat.add('KUBE-NODEPORTS', `${withComment(portMatch(svc, svc.nodePort), '')} -j ${svc.extChain}`)
  if (external.length > 0 || svc.nodePort) writeExternalChain(nat, svc, clusterCidr)
  writeFirewall(nat, filter, svc)
  writeEndpointChains(nat, svc)
  const noLocal = svc.externalLocal && !svc.endpoints.some((ep) => ep.local)
  if (noLocal) writeExternalRejects(filter, svc, 'has no local endpoints', 'DROP')
}

function writeFirewall(nat: Rules, filter: Rules, svc: GeneratedService): void {
  if (svc.sourceRanges.length === 0 || svc.loadBalancerIps.length === 0) return
  const fw = svc.fwChain
  for (const range of svc.sourceRanges) nat.add(fw, `-s ${range} -m comment --comment "${svc.key} loadbalancer IP" -j ${svc.extChain}`)
  nat.add(fw, `-m comment --comment "other traffic to ${svc.key} will be dropped by KUBE-PROXY-FIREWALL"`)
  for (const ip of svc.loadBalancerIps) {
    filter.add('KUBE-PROXY-FIREWALL', `-d ${ip}/32 ${withComment(portMatch(svc, svc.port), ` traffic not accepted by ${fw}`)} -j DROP`)
  }
}

/** filter rules for external destinations without (local) endpoints. */
function writeExternalRejects(filter: Rules, svc: GeneratedService, why: string, verdict: string): void {
  const match = withComment(portMatch(svc, svc.port), ` ${why}`)
  for (const entry of externalEntries(svc)) filter.add('KUBE-EXTERNAL-SERVICES', `-d ${entry.ip}/32 ${match} -j ${verdict}`)
  if (svc.nodePort) {
    const np = `-p ${svc.proto} -m comment --comment "${svc.key} ${why}" -m addrtype --dst-type LOCAL -m ${svc.proto} --dport ${svc.nodePort}`
    filter.add('KUBE-EXTERNAL-SERVICES', `${np} -j ${verdict}`)
  }
}

const REJECT = 'REJECT --reject-with icmp-port-unreachable'

function writeServiceWithoutEndpoints(filter: Rules, svc: GeneratedService): void {
  filter.add('KUBE-SERVICES', `-d ${svc.clusterIp}/32 ${withComment(portMatch(svc, svc.port), ' has no endpoints')} -j ${REJECT}`)
  writeExternalRejects(filter, svc, 'has no endpoints', REJECT)
}

function table(name: string, builtins: string[], rules: Rules, head: string[]): string {
  const userChains = [...rules.chains].filter((chain) => !builtins.includes(chain)).sort()
  return [
    `*${name}`,
    ...builtins.map((chain) => `:${chain} ACCEPT [0:0]`),
    ...userChains.map((chain) => `:${chain} - [0:0]`),
    ...head,
    ...rules.lines,
    'COMMIT',
  ].join('\n')
}

export function emitRuleset(services: GeneratedService[], clusterCidr: string): string {
  const nat = new Rules()
  const filter = new Rules()
  for (const chain of ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']) nat.chains.add(chain)
  for (const chain of FILTER_CHAINS) filter.chains.add(chain)
  for (const svc of services) {
    if (svc.endpoints.length > 0) writeServiceWithEndpoints(nat, filter, svc, clusterCidr)
    else writeServiceWithoutEndpoints(filter, svc)
    if (svc.healthCheckNodePort) {
      filter.add('KUBE-NODEPORTS', `-p tcp -m comment --comment "${svc.key} health check node port" -m tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`)
    }
  }
  // "this must be the last rule in this chain"
  nat.add('KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  return [
    table('nat', ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], nat, NAT_HEAD),
    table('filter', ['INPUT', 'FORWARD', 'OUTPUT'], filter, FILTER_HEAD),
    '',
  ].join('\n')
}
