/**
 * The cluster's side of every comparison: for each Service port, the endpoints its
 * EndpointSlices list (with readiness, node and pod), and which of them kube-proxy should put
 * in a node's chains. Built once per run from cluster.json, O(objects).
 */
import {formatEndpoint} from '../net/ip.js'
import type {ClusterObjects, Endpoint, EndpointSlice, Node, Pod, Service, ServicePort} from '../snapshot/types.js'
import {canonicalEndpoint} from './rules-view.js'
import {buildHashIndex} from './service-names.js'
import {filterByTopology, serviceRequestsTopology, ZONE_LABEL, type NodePlace} from './topology.js'

export type {NodePlace} from './topology.js'

export interface ExpectedEndpoint {
  /** `ip:port`, canonical (`[fd00::1]:80` for IPv6). */
  address: string
  family: 4 | 6
  ready: boolean
  serving: boolean
  terminating: boolean
  nodeName?: string
  /** `namespace/name` of the pod behind it, from the slice's targetRef. */
  pod?: string
  /** EndpointSlice hints.forZones / hints.forNodes names (empty when the slice has none). */
  zoneHints: string[]
  nodeHints: string[]
}

export interface ExpectedServicePort {
  /** kube-proxy's service port name: `ns/svc:port`, or `ns/svc` for an unnamed port. */
  servicePort: string
  protocol: string
  port: number
  clusterIPs: string[]
  endpoints: ExpectedEndpoint[]
  /** The same endpoints by address, for O(1) lookups from rules. */
  byAddress: Map<string, ExpectedEndpoint>
  externalTrafficPolicyLocal: boolean
  internalTrafficPolicyLocal: boolean
  /** The Service asks for topology-aware routing (annotation or spec.trafficDistribution). */
  topologyRequested: boolean
  /** false for Services another proxy owns (label service.kubernetes.io/service-proxy-name): kube-proxy writes no rules for them. */
  proxiedByKubeProxy: boolean
}

export interface ClusterExpectations {
  ports: Map<string, ExpectedServicePort>
  /**
   * `ns/name` of every Service. (Names only: the checks ask whether a Service exists, and a set of
   * names crosses from the worker thread cheaply, where 10^4 Service objects would not.)
   */
  services: Set<string>
  /** Pod IP → `ns/name`. */
  podsByIp: Map<string, string>
  /** Chain hash → service port, to name comment-less chains. */
  hashIndex: Map<string, string>
  /** Node name → its topology.kubernetes.io/zone label. */
  nodeZones: Map<string, string>
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
/** kube-proxy ignores Services (and their slices) carrying this label: another proxy serves them. */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name'

/**
 * @param hashIndex the Service ports' hash index when already built (servicePortsHashIndex of the
 *   same objects): the worker thread sends it ahead of the rest (expectations-thread.ts).
 */
export function buildExpectations(objects: ClusterObjects, hashIndex = servicePortsHashIndex(objects.services)): ClusterExpectations {
  const slicesByService = new Map<string, EndpointSlice[]>()
  for (const slice of objects.endpointSlices) {
    const name = slice.metadata.labels?.[SERVICE_NAME_LABEL]
    if (!name || slice.addressType === 'FQDN') continue
    const key = `${slice.metadata.namespace ?? 'default'}/${name}`
    const slices = slicesByService.get(key)
    if (slices) slices.push(slice)
    else slicesByService.set(key, [slice])
  }
  const ports = new Map<string, ExpectedServicePort>()
  const services = new Set<string>()
  for (const service of objects.services) {
    const key = serviceKey(service)
    services.add(key)
    for (const port of service.spec.ports ?? []) {
      const expected = expectPort(key, service, port, slicesByService.get(key) ?? NO_SLICES)
      ports.set(expected.servicePort, expected)
    }
  }
  return {ports, services, podsByIp: indexPodIps(objects.pods), hashIndex, nodeZones: indexNodeZones(objects.nodes)}
}

const NO_SLICES: EndpointSlice[] = []

/**
 * The chain hash index (buildHashIndex) of every port of these Services: the part of the
 * expectations the rules view needs, from the Services alone. A port named twice (a repeated
 * Service) hashes with the protocol of its last listing, as `ports` keeps it.
 */
export function servicePortsHashIndex(services: Service[]): Map<string, string> {
  const protocols = new Map<string, string>()
  for (const service of services) {
    const key = serviceKey(service)
    for (const port of service.spec.ports ?? []) protocols.set(servicePortName(key, port), protocolOf(port))
  }
  return buildHashIndex(Array.from(protocols, ([name, protocol]) => ({name, protocol})))
}

function serviceKey(service: Service): string {
  return `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`
}

function servicePortName(serviceKey: string, port: ServicePort): string {
  return port.name ? `${serviceKey}:${port.name}` : serviceKey
}

function protocolOf(port: ServicePort): string {
  return (port.protocol ?? 'TCP').toLowerCase()
}

/** The node as topology sees it: its name and, when cluster.json has the Node, its zone. */
export function placeOf(cluster: ClusterExpectations | undefined, node: string): NodePlace {
  const zone = cluster?.nodeZones.get(node)
  return zone ? {name: node, zone} : {name: node}
}

function indexNodeZones(nodes: Node[]): Map<string, string> {
  const zones = new Map<string, string>()
  for (const node of nodes) {
    const zone = node.metadata.labels?.[ZONE_LABEL]
    if (zone) zones.set(node.metadata.name, zone)
  }
  return zones
}

function expectPort(key: string, service: Service, port: ServicePort, slices: EndpointSlice[]): ExpectedServicePort {
  const protocol = protocolOf(port)
  const clusterIPs = (service.spec.clusterIPs ?? [service.spec.clusterIP]).filter(
    (ip): ip is string => Boolean(ip) && ip !== 'None',
  )
  const byAddress = sliceEndpoints(slices, port.name ?? '', protocol)
  const endpoints = Array.from(byAddress.values())
  return {
    servicePort: servicePortName(key, port),
    protocol,
    port: port.port,
    clusterIPs,
    endpoints,
    byAddress,
    externalTrafficPolicyLocal: service.spec.externalTrafficPolicy === 'Local',
    internalTrafficPolicyLocal: service.spec.internalTrafficPolicy === 'Local',
    topologyRequested: serviceRequestsTopology(service),
    proxiedByKubeProxy: service.metadata.labels?.[SERVICE_PROXY_NAME_LABEL] === undefined,
  }
}

/**
 * The endpoints of one port by address, first listing first: the slice port with the same name
 * and protocol gives the number. (The map is also the port's byAddress: one map, not two.)
 */
function sliceEndpoints(slices: EndpointSlice[], portName: string, protocol: string): Map<string, ExpectedEndpoint> {
  const seen = new Map<string, ExpectedEndpoint>()
  for (const slice of slices) {
    const slicePort = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP').toLowerCase() === protocol,
    )
    if (slicePort?.port === undefined) continue
    for (const endpoint of slice.endpoints ?? []) {
      // kube-proxy reads only addresses[0]: the API says all addresses of an endpoint are fungible.
      const ip = endpoint.addresses[0]
      if (ip === undefined) continue
      const expected = toExpected(ip, slicePort.port, endpoint)
      if (!seen.has(expected.address)) seen.set(expected.address, expected)
    }
  }
  return seen
}

/** One shared (frozen) empty list for the endpoints without hints: 10^5 endpoints, 2 lists each. */
export const NO_HINTS = Object.freeze([]) as unknown as string[]

/** API semantics: a nil `ready` means ready; a nil `serving` means the same as ready. */
function toExpected(ip: string, port: number, endpoint: Endpoint): ExpectedEndpoint {
  const address = canonicalEndpoint(formatEndpoint(ip, port))
  const family = ip.includes(':') ? 6 : 4
  const conditions = endpoint.conditions
  const ready = conditions?.ready !== false
  const ref = endpoint.targetRef
  return {
    address,
    family,
    ready,
    serving: conditions?.serving ?? ready,
    terminating: conditions?.terminating ?? false,
    nodeName: endpoint.nodeName,
    pod: ref?.name && (ref.kind ?? 'Pod') === 'Pod' ? (ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name) : undefined,
    zoneHints: endpoint.hints?.forZones ? endpoint.hints.forZones.map((h) => h.name) : NO_HINTS,
    nodeHints: endpoint.hints?.forNodes ? endpoint.hints.forNodes.map((h) => h.name) : NO_HINTS,
  }
}

function indexPodIps(pods: Pod[]): Map<string, string> {
  const index = new Map<string, string>()
  for (const pod of pods) {
    if (pod.spec?.hostNetwork) continue // host-network pods share the node's IP
    const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : [])
    for (const ip of ips) index.set(ip, `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`)
  }
  return index
}

/** Which chain of which node: `cluster` is KUBE-SVC (topology applies), `local` KUBE-SVL/KUBE-XLB. */
export interface ChainScope {
  node: NodePlace
  chain: 'cluster' | 'local'
}

/**
 * The endpoints kube-proxy puts in a chain (CategorizeEndpoints): the ready ones — on a
 * `cluster` chain only those the node's topology hints allow, on a `local` chain only the node's
 * own; when none is ready, the serving terminating ones (terminating fallback, kube-proxy ≥ 1.26,
 * never topology-filtered). Without `scope`: every ready endpoint, as a node without topology sees
 * them. None for a Service kube-proxy does not proxy.
 */
export function endpointsKubeProxyUses(port: ExpectedServicePort, family: 4 | 6, scope?: ChainScope): ExpectedEndpoint[] {
  if (!port.proxiedByKubeProxy) return []
  const local = scope?.chain === 'local'
  const candidates = port.endpoints.filter((e) => e.family === family && (!local || e.nodeName === scope.node.name))
  const ready = candidates.filter((e) => e.ready)
  if (ready.length === 0) return candidates.filter((e) => e.serving && e.terminating)
  return scope && !local && port.topologyRequested ? filterByTopology(ready, scope.node) : ready
}

/** The cluster IPs of `family` kube-proxy should have a KUBE-SERVICES rule for: those with usable endpoints. */
export function clusterIpsExpected(port: ExpectedServicePort, family: 4 | 6): string[] {
  if (endpointsKubeProxyUses(port, family).length === 0) return []
  return port.clusterIPs.filter((ip) => (ip.includes(':') ? 6 : 4) === family)
}

/** Addresses a rule may legitimately DNAT to: listed ready, or serving (terminating fallback). */
export function isAcceptableEndpoint(port: ExpectedServicePort, address: string): boolean {
  const endpoint = port.byAddress.get(address)
  return endpoint !== undefined && (endpoint.ready || endpoint.serving)
}

/** The Service port named by a rule comment, if the cluster knows it. */
export function expectedFor(cluster: ClusterExpectations, servicePort: string | undefined): ExpectedServicePort | undefined {
  return servicePort ? cluster.ports.get(servicePort) : undefined
}
