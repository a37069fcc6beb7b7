/**
 * `kpx trace` as a pure function of a snapshot: resolve the target per node, evaluate the packet
 * through that node's rules, and tie each DNAT endpoint back to its pod and EndpointSlice
 * conditions. No I/O: parsing is injected (`parse`), so callers decide caching and errors.
 */
import {NotFoundError} from '../errors.js'
import {buildProxyModel} from '../kube-proxy/model.js'
import type {ProxyModel, ServicePortModel} from '../kube-proxy/types.js'
import type {IptablesDump} from '../parse/types.js'
import {canonicalIp, type ClusterIndex, indexCluster} from '../snapshot/cluster-index.js'
import type {Endpoint, NodeCapture, Service, Snapshot} from '../snapshot/types.js'
import {parseIp, splitHostPort} from '../net/match.js'
import {evaluatePacket} from './iptables.js'
import {formatEndpoint} from '../net/ip.js'
import {selectNodes} from '../snapshot/select.js'
import {scopeDump, scopeDumpByName} from './scope.js'
import {familyOf, resolveTarget, type TargetOptions} from './target.js'
import type {PodRef, TraceOutcome, TraceResult, TraceServiceInfo} from './types.js'

export type * from './types.js'
export {evaluatePacket, type EvaluateOptions, type Evaluation} from './iptables.js'
export {quantizeProbability} from './matches.js'
export {resolveTarget, type TargetOptions} from './target.js'

export interface TraceSnapshotOptions extends TargetOptions {
  /** Trace only this node (default: every node in the snapshot). */
  node?: string
  /** Parses a node's rules of one family; return undefined when the node has none. */
  parse: (node: NodeCapture, family: 4 | 6) => IptablesDump | undefined
  /** Known ipset contents, passed to the evaluator. */
  ipsets?: Record<string, string[]>
}


/** Whether a target names a Service (`svc/NAME`) rather than an address. */
function isServiceTarget(target: string): boolean {
  return /^(svc|service|services)\//.test(target)
}

/** Which rules to read: IPv6 for an IPv6 address or a Service whose primary family is IPv6. */
function targetFamily(opts: Pick<TraceSnapshotOptions, 'target' | 'namespace'>, cluster: ClusterIndex | null): 4 | 6 {
  if (isServiceTarget(opts.target)) {
    const svc = cluster?.service(opts.namespace ?? 'default', opts.target.slice(opts.target.indexOf('/') + 1))
    return svc?.spec.ipFamilies?.[0] === 'IPv6' ? 6 : 4
  }
  return familyOf(splitHostPort(opts.target).host)
}

export function serviceInfo(sp: ServicePortModel | null): TraceServiceInfo | null {
  if (!sp) return null
  return {
    name: sp.name, namespace: sp.namespace, port: sp.port ?? 0, portName: sp.portName, protocol: sp.protocol.toUpperCase(),
    clusterIPs: sp.clusterIPs, nodePort: sp.nodePorts[0] ?? null, externalIPs: sp.externalIPs, loadBalancerIPs: sp.loadBalancerIPs,
    servicePortName: sp.key,
  }
}

/** The EndpointSlice entry of `ip` for this service, if listed. */
function sliceEndpoint(cluster: ClusterIndex, sp: ServicePortModel, ip: string): Endpoint | undefined {
  const wanted = canonicalIp(ip)
  for (const slice of cluster.endpointSlices(sp.namespace, sp.name)) {
    const endpoint = (slice.endpoints ?? []).find((e) => e.addresses.some((a) => canonicalIp(a) === wanted))
    if (endpoint) return endpoint
  }
  return undefined
}

/** Adds pod and staleness to DNAT outcomes, when the snapshot has cluster objects. */
export function enrichOutcome(outcome: TraceOutcome, cluster: ClusterIndex | null, sp: ServicePortModel | null): TraceOutcome {
  if (outcome.verdict !== 'DNAT' || !outcome.endpoint || !cluster) return outcome
  const {host} = splitHostPort(outcome.endpoint)
  const pod = cluster.podByIP(host)
  const listed = sp ? sliceEndpoint(cluster, sp, host) : undefined
  const c = listed?.conditions
  const ref: PodRef | null = pod
    ? {
        name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', node: pod.spec?.nodeName ?? listed?.nodeName ?? null,
        ready: c ? (c.ready ?? null) : null, serving: c ? (c.serving ?? null) : null, terminating: c ? (c.terminating ?? null) : null,
      }
    : null
  // kube-proxy falls back to serving-but-terminating endpoints, so those are not stale.
  const usable = !!listed && (c?.ready !== false || (c?.serving === true && c?.terminating === true))
  return {...outcome, pod: ref, ...(sp ? {stale: !usable} : {})}
}

/** Connected subnets from the snapshot; the default route is assumed to use the InternalIP's interface. */
function interfaceRoutes(node: NodeCapture, cluster: ClusterIndex | null): {routes?: {name: string; cidr: string}[]; defaultIface?: string} {
  if (!node.interfaces?.length) return {}
  const primary = cluster?.node(node.name)?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address
  const owner = node.interfaces.find((i) => primary && canonicalIp(i.cidr.split('/')[0]) === canonicalIp(primary)) ?? node.interfaces.find((i) => i.name !== 'lo')
  return {routes: node.interfaces, defaultIface: owner?.name}
}

/**
 * An `IP:PORT` target needs the model of the service ports at that address only, a `svc/NAME`
 * target that of the Service's ports (see scope.ts). A Service the rules do not name gets the
 * whole dump (to suggest close names), as does a target resolveTarget will reject: it fails there.
 */
function scopeFor(dump: IptablesDump, node: NodeCapture, cluster: ClusterIndex | null, opts: TraceSnapshotOptions): IptablesDump {
  if (isServiceTarget(opts.target)) {
    const name = opts.target.slice(opts.target.indexOf('/') + 1)
    const namespace = opts.namespace ?? 'default'
    return scopeDumpByName(dump, namespace, name, servicePortNames(cluster?.service(namespace, name))) ?? dump
  }
  const {host, port} = splitHostPort(opts.target)
  const dport = port ?? (opts.port === undefined ? NaN : Number(opts.port))
  if (!parseIp(host) || !Number.isInteger(dport)) return dump
  return scopeDump(dump, {dst: host, dport, local: node.addresses.map(canonicalIp).includes(canonicalIp(host))})
}

/** kube-proxy's service port names of a Service (`ns/name:port`; both forms for an unnamed port), for chain hashes. */
function servicePortNames(service: Service | undefined): string[] {
  if (!service) return []
  const base = `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`
  return (service.spec.ports ?? []).flatMap((port) => (port.name ? [`${base}:${port.name}`] : [base, `${base}:`]))
}

function traceNode(snapshot: Snapshot, node: NodeCapture, cluster: ClusterIndex | null, opts: TraceSnapshotOptions): TraceResult {
  const family = targetFamily(opts, cluster)
  const dump = opts.parse(node, family)
  if (!dump) throw new NotFoundError(`node ${node.name} has no ${family === 6 ? 'ip6tables' : 'iptables'} rules in the snapshot`, [], 'no-rules')
  const model = buildProxyModel(scopeFor(dump, node, cluster, opts), {services: () => snapshot.cluster?.services, findService: cluster?.lastService})
  const resolved = resolveTarget(snapshot, node, model, cluster, opts)
  const localAddresses = [...node.addresses, ...(cluster?.node(node.name)?.status?.addresses ?? []).filter((a) => a.type.endsWith('IP')).map((a) => a.address)]
  const evaluation = evaluatePacket(dump, resolved.packet, {localAddresses, ipsets: opts.ipsets, ...interfaceRoutes(node, cluster)})
  const warnings = [...resolved.warnings, ...evaluation.warnings]
  if (node.addresses.length === 0) warnings.push(`node ${node.name}: no addresses.txt; only cluster.json addresses and loopback count as local`)
  return {
    node: node.name,
    mode: 'iptables',
    packet: {...resolved.packet, entry: evaluation.entry},
    service: serviceInfo(resolved.servicePort),
    outcomes: evaluation.outcomes.map((o) => enrichOutcome(o, cluster, resolved.servicePort)),
    warnings,
    source: resolved.source,
  }
}

/**
 * Parses, ahead of traceSnapshot, the rules it will most likely ask for: the target address's
 * family, or IPv4 for a Service (its family is known only from cluster.json). Meant for
 * readSnapshot's `meanwhile`, while cluster.json is read on another thread. Errors are left for
 * traceSnapshot, which parses again and reports them in their usual order.
 */
export function parseAhead(nodes: NodeCapture[], opts: Pick<TraceSnapshotOptions, 'target' | 'parse'> & {nodes?: string[]}): void {
  const family = targetFamily(opts, null)
  for (const node of nodes) {
    if (opts.nodes?.length && !opts.nodes.includes(node.name)) continue
    try {
      opts.parse(node, family)
    } catch {
      // Reported by the trace itself, after the snapshot's own errors.
    }
  }
}

/** Traces the target on each node of the snapshot (or only `opts.node`). */
export function traceSnapshot(snapshot: Snapshot, opts: TraceSnapshotOptions): TraceResult[] {
  const cluster = snapshot.cluster ? indexCluster(snapshot.cluster) : null
  return selectNodes(snapshot, opts.node ? [opts.node] : undefined).map((node) => traceNode(snapshot, node, cluster, opts))
}

export interface ServicePortRow {
  /** `ns/name` */
  service: string
  portName: string
  servicePortName: string
  protocol: string
  /** `10.96.0.10:53/udp` per cluster IP. */
  clusterIPs: string[]
  nodePorts: number[]
  externalIPs: string[]
  loadBalancerIPs: string[]
  policy: {external: string | null; internal: string}
  affinitySeconds: number | null
  endpoints: {address: string | null; chain: string; probability: number; local: boolean; pod?: string | null; stale?: boolean}[]
  /** kube-proxy rejects (no endpoints) or drops (no local endpoints) some traffic to it. */
  rejects: boolean
  drops: boolean
}

/** Rows for `kpx services`: what a node's rules implement, per Service port. */
export function listServicePorts(model: ProxyModel, snapshot?: Snapshot): ServicePortRow[] {
  const cluster = snapshot?.cluster ? indexCluster(snapshot.cluster) : null
  // A port kpx could not read from the rules shows as "?" rather than a made-up number.
  const format = (ip: string, port: number | null, proto: string) => `${port === null ? (ip.includes(':') ? `[${ip}]:?` : `${ip}:?`) : formatEndpoint(ip, port)}/${proto || '?'}`
  return [...model.servicePorts.values()].map((sp) => ({
    service: sp.named ? `${sp.namespace}/${sp.name}` : `(unnamed ${sp.name})`,
    portName: sp.portName,
    servicePortName: sp.key,
    protocol: sp.protocol,
    clusterIPs: sp.clusterIPs.map((ip) => format(ip, sp.port, sp.protocol)),
    nodePorts: sp.nodePorts,
    externalIPs: sp.externalIPs,
    loadBalancerIPs: sp.loadBalancerIPs,
    policy: policyOf(sp, cluster),
    affinitySeconds: sp.affinitySeconds,
    endpoints: [...sp.endpoints.map((e) => ({e, local: false})), ...sp.localEndpoints.map((e) => ({e, local: true}))].map(({e, local}) => {
      const enriched = cluster && e.address ? enrichOutcome({verdict: 'DNAT', endpoint: e.address, probability: e.probability, masquerade: false, masqueradeRule: null, assumptions: [], path: []}, cluster, sp) : null
      return {
        address: e.address, chain: e.chain, probability: e.probability, local,
        ...(enriched ? {pod: enriched.pod ? `${enriched.pod.namespace}/${enriched.pod.name}` : null, stale: enriched.stale} : {}),
      }
    }),
    rejects: sp.rejectRules.length > 0,
    drops: sp.dropRules.length > 0,
  }))
}

/**
 * The traffic policies: the Service spec says them when cluster objects are known; the rules
 * only imply them (a node with no local endpoint for an internalTrafficPolicy=Local Service has
 * no SVL chain, so its rules look like Cluster).
 */
function policyOf(sp: ServicePortModel, cluster: ClusterIndex | null): ServicePortRow['policy'] {
  const spec = cluster?.service(sp.namespace, sp.name)?.spec
  const exposed = spec ? spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.externalIPs?.length ?? 0) > 0 : sp.externalTrafficPolicy !== null
  return {
    external: exposed ? (spec?.externalTrafficPolicy ?? sp.externalTrafficPolicy ?? 'Cluster') : null,
    internal: spec?.internalTrafficPolicy ?? sp.internalTrafficPolicy,
  }
}
