/**
 * Turning what the user typed (`svc/ghost --nodeport 30966`, `10.96.0.10:53`, `--src pod/web-1`)
 * into a concrete packet for one node. Service facts come from cluster.json when present, else
 * from the rules' comments (the kube-proxy model).
 */
import {NotFoundError, UsageError} from '../errors.js'
import {closeNames} from '../suggest.js'
import type {ProxyModel, ServicePortModel} from '../kube-proxy/types.js'
import {canonicalIp, type ClusterIndex} from '../snapshot/cluster-index.js'
import type {NodeCapture, Service, ServicePort, Snapshot} from '../snapshot/types.js'
import {parseIp, splitHostPort} from '../net/match.js'
import type {Packet, Protocol} from './types.js'

export interface TargetOptions {
  /** `svc/NAME`, `IP:PORT`, `[v6]:PORT`, or `IP` (with `port`). */
  target: string
  namespace?: string
  /** A service port by number or name, or the destination port for a bare IP. */
  port?: string | number
  /** Trace NodePort traffic: to the node's address on this port. */
  nodePort?: number
  /** An IP, `pod/NAME`, `node/NAME` or `external`. */
  src?: string
  proto?: Protocol
}

export interface ResolvedTarget {
  packet: Packet
  /** The service port the packet is addressed to, when known. */
  servicePort: ServicePortModel | null
  /** How the source was chosen. */
  source: string
  warnings: string[]
}

/** An outside client (TEST-NET-3 / the IPv6 documentation prefix). */
export const EXTERNAL_SOURCE = {4: '203.0.113.10', 6: '2001:db8:ffff::10'} as const

export function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4
}

/** The node's address of a family: first InternalIP, else the first non-loopback local address. */
export function nodeAddress(node: NodeCapture, cluster: ClusterIndex | null, family: 4 | 6): string | undefined {
  const addresses = cluster?.node(node.name)?.status?.addresses ?? []
  const internal = addresses.find((a) => a.type === 'InternalIP' && familyOf(a.address) === family)
  if (internal) return internal.address
  return node.addresses.find((a) => familyOf(a) === family && !/^127\.|^::1$/.test(a) && !/^fe80:/i.test(a))
}

function servicePortsNamed(model: ProxyModel, namespace: string, name: string): ServicePortModel[] {
  return [...model.servicePorts.values()].filter((p) => p.namespace === namespace && p.name === name)
}

function pickPort(ports: ServicePortModel[], wanted: string | number | undefined, what: string, warnings: string[]): ServicePortModel {
  if (wanted === undefined) {
    if (ports.length > 1) warnings.push(`${what} has ${ports.length} ports; tracing ${ports[0].portName || ports[0].port} (choose one with --port)`)
    return ports[0]
  }
  const found = ports.find((p) => String(p.port) === String(wanted) || p.portName === String(wanted) || p.nodePorts.includes(Number(wanted)))
  if (!found) {
    throw new NotFoundError(`${what} has no port ${wanted}`, ports.map((p) => `--port ${p.portName || p.port}`))
  }
  return found
}

/** A model entry for a Service port the rules do not implement (no chains, no endpoints). */
function portFromSpec(svc: Service, port: ServicePort): ServicePortModel {
  const namespace = svc.metadata.namespace ?? 'default'
  return {
    key: port.name ? `${namespace}/${svc.metadata.name}:${port.name}` : `${namespace}/${svc.metadata.name}`,
    namespace, name: svc.metadata.name, portName: port.name ?? '', protocol: (port.protocol ?? 'TCP').toLowerCase(), named: true,
    clusterIPs: svc.spec.clusterIPs ?? (svc.spec.clusterIP && svc.spec.clusterIP !== 'None' ? [svc.spec.clusterIP] : []),
    port: port.port, nodePorts: port.nodePort ? [port.nodePort] : [], externalIPs: svc.spec.externalIPs ?? [],
    loadBalancerIPs: (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    loadBalancerSourceRanges: svc.spec.loadBalancerSourceRanges ?? [], healthCheckNodePort: svc.spec.healthCheckNodePort ?? null,
    externalTrafficPolicy: svc.spec.externalTrafficPolicy ?? null, internalTrafficPolicy: svc.spec.internalTrafficPolicy ?? 'Cluster',
    affinitySeconds: null, chains: {}, endpoints: [], localEndpoints: [], rejectRules: [], dropRules: [], entryRules: [],
  }
}

/** Finds a Service's port in the model, or throws NotFoundError with close names. */
function serviceTarget(model: ProxyModel, cluster: ClusterIndex | null, opts: TargetOptions, warnings: string[]): ServicePortModel {
  const name = opts.target.slice(opts.target.indexOf('/') + 1)
  const namespace = opts.namespace ?? 'default'
  const inCluster = cluster?.service(namespace, name)
  // A Service the cluster has but these rules lack is still traced: "kube-proxy never programmed
  // it" is exactly what the trace should show.
  const ports = servicePortsNamed(model, namespace, name)
  if (ports.length === 0 && inCluster) ports.push(...(inCluster.spec.ports ?? []).map((p) => portFromSpec(inCluster, p)))
  if (ports.length === 0) {
    const known = [...model.servicePorts.values()].filter((p) => p.named).map((p) => `${p.namespace}/${p.name}`)
    const message = `service ${namespace}/${name} not found in the rules${cluster ? ' or the cluster' : ''}`
    const sameName = known.filter((k) => k.endsWith(`/${name}`)).map((k) => `svc/${name} --namespace ${k.split('/')[0]}`)
    throw new NotFoundError(message, [...sameName, ...closeNames(`${namespace}/${name}`, known).map((k) => `svc/${k.split('/')[1]} --namespace ${k.split('/')[0]}`)], 'service-not-found')
  }
  return pickPort(ports, opts.port, `service ${namespace}/${name}`, warnings)
}

/** The service port an address and port belong to, if any (cluster, external, LB IP or NodePort). */
export function findServicePort(model: ProxyModel, dst: string, dport: number, proto: string, isLocal: boolean): ServicePortModel | null {
  const ip = canonicalIp(dst)
  for (const p of model.servicePorts.values()) {
    if (p.protocol && p.protocol !== proto) continue
    const ips = [...p.clusterIPs, ...p.externalIPs, ...p.loadBalancerIPs].map(canonicalIp)
    if (p.port === dport && ips.includes(ip)) return p
    if (isLocal && p.nodePorts.includes(dport)) return p
  }
  return null
}

interface Destination {
  dst: string
  dport: number
  proto: Protocol
  servicePort: ServicePortModel | null
  /** true for NodePort/external/LB destinations (default source: an outside client). */
  external: boolean
}

function destination(model: ProxyModel, node: NodeCapture, cluster: ClusterIndex | null, opts: TargetOptions, warnings: string[]): Destination {
  const family = model.family
  if (/^(svc|service|services)\//.test(opts.target)) {
    const sp = serviceTarget(model, cluster, opts, warnings)
    const proto = (opts.proto ?? (sp.protocol || 'tcp')) as Protocol
    if (opts.nodePort !== undefined) {
      const dst = nodeAddress(node, cluster, family)
      if (!dst) throw new NotFoundError(`node ${node.name} has no IPv${family} address to send NodePort traffic to`, ['add nodes/<node>/addresses.txt to the snapshot'], 'node-address')
      if (!sp.nodePorts.includes(opts.nodePort)) warnings.push(`service ${sp.key} has no NodePort ${opts.nodePort} in this node's rules`)
      return {dst, dport: opts.nodePort, proto, servicePort: sp, external: true}
    }
    const dst = sp.clusterIPs.find((ip) => familyOf(ip) === family) ?? sp.clusterIPs[0]
    if (!dst || sp.port === null) throw new NotFoundError(`service ${sp.key} has no cluster IP in this node's rules`, ['trace it with --nodeport N or IP:PORT'], 'no-cluster-ip')
    return {dst, dport: sp.port, proto, servicePort: sp, external: false}
  }
  const {host, port} = splitHostPort(opts.target)
  if (!parseIp(host)) throw new UsageError(`target "${opts.target}" is not svc/NAME, IP:PORT, [IPv6]:PORT or IP`, ['svc/my-service --namespace default', '10.96.0.10:53'], 'bad-target')
  const dport = port ?? (opts.port === undefined ? NaN : Number(opts.port))
  if (!Number.isInteger(dport) || dport < 1 || dport > 65535) throw new UsageError(`target ${opts.target} needs a port (IP:PORT or --port)`, [`${host}:80`], 'bad-target')
  const proto = opts.proto ?? 'tcp'
  const local = node.addresses.map(canonicalIp).includes(canonicalIp(host))
  const sp = findServicePort(model, host, dport, proto, local)
  const external = local || (!!sp && !sp.clusterIPs.map(canonicalIp).includes(canonicalIp(host)))
  return {dst: host, dport, proto, servicePort: sp, external}
}

function podSource(cluster: ClusterIndex | null, node: NodeCapture, snapshot: Snapshot, family: 4 | 6, backends: Set<string>, warnings: string[]): {ip: string; why: string} {
  const pods = snapshot.cluster?.pods ?? []
  const candidates = pods.filter((p) => !p.spec?.hostNetwork && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
  const ipOf = (p: (typeof pods)[number]) => [p.status?.podIP, ...(p.status?.podIPs ?? []).map((x) => x.ip)].find((ip) => ip && familyOf(ip) === family)
  // Prefer a client that is not itself a backend (that would be hairpin traffic), on this node.
  const client = (p: (typeof pods)[number]) => !!ipOf(p) && !backends.has(canonicalIp(ipOf(p)!))
  const pod = candidates.find((p) => p.spec?.nodeName === node.name && client(p)) ?? candidates.find(client) ?? candidates.find((p) => ipOf(p))
  if (pod) {
    const name = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`
    if (backends.has(canonicalIp(ipOf(pod)!))) {
      warnings.push(`the source pod ${name} is itself a backend of the Service: its own endpoint is hairpin traffic, which kube-proxy masquerades (set --src to trace another client)`)
    }
    return {ip: ipOf(pod)!, why: `pod ${name} (default source: a pod${backends.size > 0 ? ' calling the Service' : ''})`}
  }
  const cidr = (cluster?.node(node.name)?.spec?.podCIDRs ?? [cluster?.node(node.name)?.spec?.podCIDR]).find((c) => c && familyOf(c) === family)
  const base = cidr ? cidr.split('/')[0] : family === 4 ? '10.244.0.0' : 'fd00:10:244::'
  const ip = family === 4 ? base.replace(/\.\d+$/, '.2') : base.replace(/::?$/, '::2')
  warnings.push(`no pod to send from; using ${ip} from ${cidr ? `node ${node.name}'s pod CIDR ${cidr}` : 'a typical pod CIDR'} as the source (set --src)`)
  return {ip, why: `pod-network address ${ip} (no pod known)`}
}

function source(snapshot: Snapshot, node: NodeCapture, cluster: ClusterIndex | null, opts: TargetOptions, dest: Destination, warnings: string[]): {ip: string; why: string} {
  const family = familyOf(dest.dst)
  const src = opts.src ?? (dest.external ? 'external' : undefined)
  if (src === 'external') return {ip: EXTERNAL_SOURCE[family], why: `an outside client ${EXTERNAL_SOURCE[family]}${opts.src ? '' : ' (default for NodePort/external/LB targets)'}`}
  if (src === undefined) {
    const sp = dest.servicePort
    const backends = new Set([...(sp?.endpoints ?? []), ...(sp?.localEndpoints ?? [])].flatMap((e) => (e.ip ? [canonicalIp(e.ip)] : [])))
    return podSource(cluster, node, snapshot, family, backends, warnings)
  }
  if (src.startsWith('pod/')) {
    const name = src.slice(4)
    const namespace = opts.namespace ?? 'default'
    const pod = cluster?.pod(namespace, name)
    const ip = [pod?.status?.podIP, ...(pod?.status?.podIPs ?? []).map((x) => x.ip)].find((x) => x && familyOf(x) === family)
    if (!ip) throw new NotFoundError(`pod ${namespace}/${name} not found or has no IPv${family} address`, closeNames(name, (snapshot.cluster?.pods ?? []).map((p) => p.metadata.name)).map((n) => `--src pod/${n}`), 'pod-not-found')
    return {ip, why: `pod ${namespace}/${name}`}
  }
  if (src.startsWith('node/')) {
    const other = snapshot.nodes.find((n) => n.name === src.slice(5))
    const ip = other ? nodeAddress(other, cluster, family) : cluster?.node(src.slice(5))?.status?.addresses?.find((a) => a.type === 'InternalIP' && familyOf(a.address) === family)?.address
    if (!ip) throw new NotFoundError(`node ${src.slice(5)} not found or has no IPv${family} address`, closeNames(src.slice(5), snapshot.nodes.map((n) => n.name)).map((n) => `--src node/${n}`), 'node-not-found')
    return {ip, why: `node ${src.slice(5)}`}
  }
  if (!parseIp(src)) throw new UsageError(`--src "${src}" is not an IP, pod/NAME, node/NAME or external`, ['--src external', '--src pod/NAME'], 'bad-source')
  return {ip: src, why: src}
}

/** Resolves the user's target and source into a packet for one node's rules. */
export function resolveTarget(snapshot: Snapshot, node: NodeCapture, model: ProxyModel, cluster: ClusterIndex | null, opts: TargetOptions): ResolvedTarget {
  const warnings: string[] = []
  const dest = destination(model, node, cluster, opts, warnings)
  const src = source(snapshot, node, cluster, opts, dest, warnings)
  return {packet: {src: src.ip, dst: dest.dst, proto: dest.proto, dport: dest.dport}, servicePort: dest.servicePort, source: src.why, warnings}
}
