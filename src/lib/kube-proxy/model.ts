/**
 * The kube-proxy model: Service ports, their chains and endpoints, read off a parsed dump.
 * One pass per table over the rules, chains indexed by name; never quadratic in services.
 */
import {targetNameOf} from '../parse/lazy-rule.js'
import type {Chain, IptablesDump, Rule} from '../parse/types.js'
import type {Service} from '../snapshot/types.js'
import {parseServiceComment, servicePortKey} from './comments.js'
import {chainHash, chainKind, jumpTarget, type Owner, resolveOwnership} from './ownership.js'
import {destinationHost, destinationPort, endpointCascade, hasDstTypeLocal, isConditional, protocolOf, recentOf, ruleRef} from './rule-facts.js'
import type {ForeignChain, ProxyModel, ServicePortModel} from './types.js'

export interface BuildProxyModelOptions {
  /** The cluster's Services (cluster.json): names comment-less chains and tells external from LB IPs. */
  services?: Service[] | (() => Service[] | undefined)
  /** Finds a Service by namespace/name (e.g. ClusterIndex.lastService) so `services` is read only for chains no comment names. */
  findService?: (namespace: string, name: string) => Service | undefined
}

const FOREIGN_KINDS = new Set(['portals', 'userspace-nodeports', 'cni-hostport', 'cni-dn'])

function chainsOf(dump: IptablesDump, table: string): Map<string, Chain> {
  return new Map((dump.tables.find((t) => t.name === table)?.chains ?? []).map((c) => [c.name, c]))
}

/**
 * DNAT `--to-destination` of SEP chains, as `ip:port` text, read when first asked: only the
 * DNAT rule of each SEP is decoded (the last one wins, as kube-proxy writes one), and only for
 * the endpoints someone looks at.
 */
class SepAddresses {
  private readonly cache = new Map<string, string | null>()

  constructor(private readonly nat: Map<string, Chain>) {}

  get(sep: string): string | null {
    let address = this.cache.get(sep)
    if (address === undefined) {
      address = null
      for (const rule of this.nat.get(sep)?.rules ?? []) {
        if (targetNameOf(rule) !== 'DNAT') continue
        const typed = rule.target?.typed
        if (typed?.kind === 'dnat' && typed.to[0]) address = typed.to[0].text
      }
      this.cache.set(sep, address)
    }
    return address
  }
}

/**
 * Defines `key` as computed on first read (then a plain value), for model fields that cost a
 * decode of many rules: a trace reads one service's endpoints out of 10k. Enumerable, so JSON
 * and spreads see it like any field; writable, so callers may still assign it.
 */
function defineLazy<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): void {
  const settle = (value: T[K]) => Object.defineProperty(target, key, {value, enumerable: true, writable: true, configurable: true})
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      const value = compute()
      settle(value)
      return value
    },
    set: settle,
  })
}

class ModelBuilder {
  readonly ports = new Map<string, ServicePortModel>()
  readonly chainOwner = new Map<string, string>()
  /** How many distinct KUBE-SEP chains service chains jump to (see orphansOf). */
  ownedSeps = 0

  constructor(
    private readonly owners: ReturnType<typeof resolveOwnership>,
    private readonly findService: (namespace: string, name: string) => Service | undefined,
  ) {}

  /** The model entry of the service port owning `chain` (created on first use). */
  forChain(chain: string, protocolHint = ''): ServicePortModel {
    const owner: Owner = this.owners.owner(chain) ?? {namespace: '', name: chainHash(chain), portName: '', protocol: '', source: 'chain'}
    const port = this.forOwner(owner, protocolHint)
    this.chainOwner.set(chain, port.key)
    return port
  }

  ownSep(sep: string, key: string): void {
    if (!this.chainOwner.has(sep)) this.ownedSeps++
    this.chainOwner.set(sep, key)
  }

  /** Service port named by a rule's comment (filter-table rules jump to no service chain). */
  forComment(rule: Rule): ServicePortModel | null {
    const ref = parseServiceComment(rule.comment)
    return ref ? this.forOwner({namespace: ref.namespace, name: ref.name, portName: ref.portName, protocol: '', source: 'comment'}, protocolOf(rule)) : null
  }

  private forOwner(owner: Owner, protocolHint: string): ServicePortModel {
    // Chains nobody could name are grouped by their shared hash.
    const key = owner.source === 'chain' ? `?/${owner.name}` : servicePortKey(owner)
    let port = this.ports.get(key)
    if (!port) {
      port = {
        key, namespace: owner.namespace, name: owner.name, portName: owner.portName, protocol: owner.protocol, named: owner.source !== 'chain',
        clusterIPs: [], port: null, nodePorts: [], externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [],
        healthCheckNodePort: null, externalTrafficPolicy: null, internalTrafficPolicy: 'Cluster', affinitySeconds: null,
        chains: {}, endpoints: [], localEndpoints: [], rejectRules: [], dropRules: [], entryRules: [],
      }
      this.ports.set(key, port)
    }
    if (!port.protocol && protocolHint) port.protocol = protocolHint
    return port
  }

  /** What kind of address an entry rule's destination is, from its comment or the Service. */
  roleOf(rule: Rule, port: ServicePortModel, target: string): 'cluster-ip' | 'external-ip' | 'loadbalancer-ip' {
    const role = parseServiceComment(rule.comment)?.role
    if (role === 'cluster-ip' || role === 'external-ip' || role === 'loadbalancer-ip') return role
    const host = destinationHost(rule)
    const svc = this.findService(port.namespace, port.name)
    if (svc && host) {
      if ((svc.spec.clusterIPs ?? [svc.spec.clusterIP]).includes(host)) return 'cluster-ip'
      if (svc.status?.loadBalancer?.ingress?.some((i) => i.ip === host)) return 'loadbalancer-ip'
      return 'external-ip'
    }
    const kind = chainKind(target)
    return kind === 'fw' ? 'loadbalancer-ip' : kind === 'ext' || kind === 'xlb' ? 'external-ip' : 'cluster-ip'
  }
}

function addUnique<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value)
}

function readEntryRules(b: ModelBuilder, chain: Chain | undefined, nodePorts: boolean): void {
  for (const rule of chain?.rules ?? []) {
    const target = jumpTarget(rule)
    const kind = target ? chainKind(target) : null
    if (!target || !(kind === 'svc' || kind === 'svl' || kind === 'ext' || kind === 'fw' || kind === 'xlb')) continue
    const port = b.forChain(target, protocolOf(rule))
    port.entryRules.push(ruleRef(rule))
    const dport = destinationPort(rule)
    if (nodePorts) {
      if (dport !== null) addUnique(port.nodePorts, dport)
      continue
    }
    const host = destinationHost(rule)
    if (!host) continue
    const role = b.roleOf(rule, port, target)
    if (role === 'cluster-ip') {
      addUnique(port.clusterIPs, host)
      port.port ??= dport
      if (kind === 'svl') port.internalTrafficPolicy = 'Local'
    } else addUnique(role === 'external-ip' ? port.externalIPs : port.loadBalancerIPs, host)
  }
}

function readServiceChain(b: ModelBuilder, chain: Chain, seps: SepAddresses): void {
  const kind = chainKind(chain.name)
  const port = b.forChain(chain.name)
  port.chains[kind as 'svc' | 'svl' | 'ext' | 'fw' | 'xlb'] = chain.name
  const isSep = (name: string) => chainKind(name) === 'sep'
  for (const rule of chain.rules) {
    port.protocol ||= protocolOf(rule)
    const target = jumpTarget(rule)
    if (target && isSep(target)) b.ownSep(target, port.key)
    const recent = recentOf(rule)
    if (recent?.seconds !== undefined) port.affinitySeconds = recent.seconds
    // Cluster policy: EXT ends in an unconditional jump to SVC. Local: EXT sends only pod and
    // LOCAL-sourced traffic to SVC (short-circuit) and the rest to SVL, or nowhere.
    if (kind === 'ext') port.externalTrafficPolicy = port.externalTrafficPolicy === 'Cluster' || (target !== null && chainKind(target) === 'svc' && !isConditional(rule)) ? 'Cluster' : 'Local'
    if (kind === 'fw' && target && rule.source && !rule.source.negated) addUnique(port.loadBalancerSourceRanges, rule.source.value)
  }
  if (kind === 'xlb') port.externalTrafficPolicy = 'Local'
  if (kind === 'svc' || kind === 'svl' || kind === 'xlb') {
    defineLazy(port, kind === 'svc' ? 'endpoints' : 'localEndpoints', () => endpointCascade(chain.rules, isSep, (sep) => seps.get(sep)))
  }
}

function readFilterRules(b: ModelBuilder, filter: Map<string, Chain>): void {
  for (const name of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) {
    for (const rule of filter.get(name)?.rules ?? []) {
      const ref = parseServiceComment(rule.comment)
      const port = ref ? b.forComment(rule) : null
      if (!ref || !port) continue
      const host = destinationHost(rule)
      const dport = destinationPort(rule)
      if (ref.role === 'no-endpoints') port.rejectRules.push(ruleRef(rule))
      if (ref.role === 'no-local-endpoints') port.dropRules.push(ruleRef(rule))
      if (ref.role === 'health-check' && dport !== null) port.healthCheckNodePort = dport
      if (ref.role !== 'no-endpoints' && ref.role !== 'no-local-endpoints') continue
      if (hasDstTypeLocal(rule) && dport !== null) addUnique(port.nodePorts, dport)
      else if (host && name === 'KUBE-SERVICES') {
        addUnique(port.clusterIPs, host)
        port.port ??= dport
      } else if (host && !port.loadBalancerIPs.includes(host)) addUnique(port.externalIPs, host)
    }
  }
}

function readForeign(dump: IptablesDump): ForeignChain[] {
  const out: ForeignChain[] = []
  for (const table of dump.tables) {
    for (const chain of table.chains) {
      const kind = chainKind(chain.name)
      if (!FOREIGN_KINDS.has(kind)) continue
      const entry: ForeignChain = {kind: kind as ForeignChain['kind'], table: table.name, chain: chain.name, rules: chain.rules.length}
      if (kind === 'cni-dn') {
        entry.hostPorts = chain.rules.flatMap((rule) => {
          const typed = rule.target?.typed
          const dport = destinationPort(rule)
          return typed?.kind === 'dnat' && dport !== null && typed.to[0] ? [{protocol: protocolOf(rule), hostPort: dport, target: typed.to[0].text, rule: ruleRef(rule)}] : []
        })
      }
      out.push(entry)
    }
  }
  return out
}

/**
 * SEP chains no service chain jumps to. In a complete dump with no missing jump targets every
 * target is a chain, so when as many SEPs are jumped to as exist, there are none: 10^5 lookups
 * saved on a large dump.
 */
function orphansOf(dump: IptablesDump, nat: Map<string, Chain>, b: ModelBuilder, sepChains: number): string[] {
  const targetsAllExist = dump.format === 'iptables-save' && !dump.issues.some((i) => i.code === 'missing-jump-target')
  if (targetsAllExist && b.ownedSeps === sepChains) return []
  // (the order kpx has always shown: nat chain order)
  return [...nat.keys()].filter((n) => chainKind(n) === 'sep' && !b.chainOwner.has(n))
}

function servicesByName(services: Service[] | undefined): (namespace: string, name: string) => Service | undefined {
  const byName = new Map((services ?? []).map((s) => [`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s]))
  return (namespace, name) => byName.get(`${namespace}/${name}`)
}

/** Reads kube-proxy's Services out of a parsed dump. */
export function buildProxyModel(dump: IptablesDump, opts: BuildProxyModelOptions = {}): ProxyModel {
  const nat = chainsOf(dump, 'nat')
  const filter = chainsOf(dump, 'filter')
  const seps = new SepAddresses(nat)
  const allServices = typeof opts.services === 'function' ? opts.services : () => opts.services as Service[] | undefined
  const b = new ModelBuilder(resolveOwnership(dump, allServices), opts.findService ?? servicesByName(allServices()))
  readEntryRules(b, nat.get('KUBE-SERVICES'), false)
  readEntryRules(b, nat.get('KUBE-NODEPORTS'), true)
  const layout = new Set<string>()
  let sepChains = 0
  for (const chain of nat.values()) {
    const kind = chainKind(chain.name)
    if (kind === 'sep') sepChains++
    if (kind === 'svc' || kind === 'svl' || kind === 'ext' || kind === 'fw' || kind === 'xlb') readServiceChain(b, chain, seps)
    if (kind === 'ext') layout.add('ext-chains')
    if (kind === 'xlb') layout.add('xlb-chains')
  }
  readFilterRules(b, filter)
  for (const port of b.ports.values()) {
    // Pre-1.24 Cluster policy has no chain of its own: NodePorts/external IPs jump straight to SVC.
    const exposed = port.nodePorts.length + port.externalIPs.length + port.loadBalancerIPs.length > 0
    if (port.externalTrafficPolicy === null && exposed) port.externalTrafficPolicy = port.dropRules.length > 0 ? 'Local' : 'Cluster'
  }
  const orphans = orphansOf(dump, nat, b, sepChains)
  const orphanEndpointChains = [...orphans.filter((n) => seps.get(n) !== null), ...orphans.filter((n) => seps.get(n) === null)]
  const anyComment = [...nat.values()].some((c) => c.rules.some((r) => r.comment))
  if (!anyComment && nat.size > 0) layout.add('no-comments')
  return {family: dump.family, servicePorts: b.ports, chainOwner: b.chainOwner, orphanEndpointChains, foreign: readForeign(dump), layout: [...layout]}
}
