/**
 * The cluster's side of every comparison: for each Service port, the endpoints its
 * EndpointSlices list (with readiness, node and pod), and which of them kube-proxy should put
 * in a node's chains. Built once per run from cluster.json, O(objects).
 */
import {formatEndpoint} from '../net/ip.js'
import type {ClusterObjects, Endpoint, EndpointSlice, Pod, Service, ServicePort} from '../snapshot/types.js'
import {canonicalEndpoint} from './rules-view.js'
import {buildHashIndex} from './service-names.js'

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
}

export interface ExpectedServicePort {
  /** kube-proxy's service port name: `ns/svc:port`, or `ns/svc` for an unnamed port. */
  servicePort: string
  service: Service
  protocol: string
  port: number
  clusterIPs: string[]
  endpoints: ExpectedEndpoint[]
  /** The same endpoints by address, for O(1) lookups from rules. */
  byAddress: Map<string, ExpectedEndpoint>
  externalTrafficPolicyLocal: boolean
  internalTrafficPolicyLocal: boolean
}

export interface ClusterExpectations {
  ports: Map<string, ExpectedServicePort>
  /** `ns/name` → Service. */
  services: Map<string, Service>
  /** Pod IP → `ns/name`. */
  podsByIp: Map<string, string>
  /** Chain hash → service port, to name comment-less chains. */
  hashIndex: Map<string, string>
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

export function buildExpectations(objects: ClusterObjects): ClusterExpectations {
  const slicesByService = new Map<string, EndpointSlice[]>()
  for (const slice of objects.endpointSlices) {
    const name = slice.metadata.labels?.[SERVICE_NAME_LABEL]
    if (!name || slice.addressType === 'FQDN') continue
    const key = `${slice.metadata.namespace ?? 'default'}/${name}`
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice])
  }
  const ports = new Map<string, ExpectedServicePort>()
  const services = new Map<string, Service>()
  for (const service of objects.services) {
    const key = `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`
    services.set(key, service)
    for (const port of service.spec.ports ?? []) {
      const expected = expectPort(key, service, port, slicesByService.get(key) ?? [])
      ports.set(expected.servicePort, expected)
    }
  }
  const hashIndex = buildHashIndex([...ports.values()].map((p) => ({name: p.servicePort, protocol: p.protocol})))
  return {ports, services, podsByIp: indexPodIps(objects.pods), hashIndex}
}

function expectPort(key: string, service: Service, port: ServicePort, slices: EndpointSlice[]): ExpectedServicePort {
  const protocol = (port.protocol ?? 'TCP').toLowerCase()
  const clusterIPs = (service.spec.clusterIPs ?? [service.spec.clusterIP]).filter(
    (ip): ip is string => Boolean(ip) && ip !== 'None',
  )
  const endpoints = sliceEndpoints(slices, port.name ?? '', protocol)
  return {
    servicePort: port.name ? `${key}:${port.name}` : key,
    service,
    protocol,
    port: port.port,
    clusterIPs,
    endpoints,
    byAddress: new Map(endpoints.map((e) => [e.address, e])),
    externalTrafficPolicyLocal: service.spec.externalTrafficPolicy === 'Local',
    internalTrafficPolicyLocal: service.spec.internalTrafficPolicy === 'Local',
  }
}

/** The endpoints of one port: the slice port with the same name and protocol gives the number. */
function sliceEndpoints(slices: EndpointSlice[], portName: string, protocol: string): ExpectedEndpoint[] {
  const seen = new Map<string, ExpectedEndpoint>()
  for (const slice of slices) {
    const slicePort = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP').toLowerCase() === protocol,
    )
    if (slicePort?.port === undefined) continue
    for (const endpoint of slice.endpoints ?? []) {
      for (const ip of endpoint.addresses) {
        const expected = toExpected(ip, slicePort.port, endpoint)
        if (expected && !seen.has(expected.address)) seen.set(expected.address, expected)
      }
    }
  }
  return [...seen.values()]
}

/** API semantics: a nil `ready` means ready; a nil `serving` means the same as ready. */
function toExpected(ip: string, port: number, endpoint: Endpoint): ExpectedEndpoint | undefined {
  const address = canonicalEndpoint(formatEndpoint(ip, port))
  const family = ip.includes(':') ? 6 : 4
  const ready = endpoint.conditions?.ready !== false
  const ref = endpoint.targetRef
  return {
    address,
    family,
    ready,
    serving: endpoint.conditions?.serving ?? ready,
    terminating: endpoint.conditions?.terminating ?? false,
    nodeName: endpoint.nodeName,
    pod: ref?.name && (ref.kind ?? 'Pod') === 'Pod' ? `${ref.namespace ?? ''}/${ref.name}`.replace(/^\//, '') : undefined,
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

/**
 * The endpoints kube-proxy puts in a chain: the ready ones; when none is ready, the serving
 * terminating ones (terminating fallback, kube-proxy ≥ 1.26). `node` limits to local endpoints
 * (KUBE-SVL / KUBE-XLB chains).
 */
export function endpointsKubeProxyUses(port: ExpectedServicePort, family: 4 | 6, node?: string): ExpectedEndpoint[] {
  const candidates = port.endpoints.filter((e) => e.family === family && (node === undefined || e.nodeName === node))
  const ready = candidates.filter((e) => e.ready)
  return ready.length > 0 ? ready : candidates.filter((e) => e.serving && e.terminating)
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
