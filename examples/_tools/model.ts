/**
 * A compact description of a cluster, from which the generator derives both the rules each
 * node's kube-proxy writes and the cluster.json the API would return. Deriving both from one
 * spec is what keeps an example consistent (and, for `stale`, inconsistent on purpose).
 */
import {endpointChainName, serviceChainName, servicePortName} from '../../src/lib/kube-proxy/names.js'
import type {ClusterObjects, EndpointSlice, Node, Pod, Service} from '../../src/lib/snapshot/types.js'

export interface EndpointSpec {
  ip: string
  node: string
  /** Pod name (namespace = the service's); absent for endpoints not backed by a pod (apiserver). */
  pod?: string
  ready?: boolean
}

export interface PortSpec {
  name?: string
  port: number
  targetPort: number
  protocol: 'TCP' | 'UDP'
  nodePort?: number
}

export interface ServiceSpec {
  namespace: string
  name: string
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'
  clusterIP: string
  ports: PortSpec[]
  selector?: Record<string, string>
  endpoints: EndpointSpec[]
  externalTrafficPolicy?: 'Cluster' | 'Local'
  internalTrafficPolicy?: 'Cluster' | 'Local'
  /** ClientIP session affinity with this timeout in seconds. */
  affinitySeconds?: number
  loadBalancerIPs?: string[]
  loadBalancerSourceRanges?: string[]
  healthCheckNodePort?: number
}

export interface NodeSpec {
  name: string
  ip: string
  /** Unset under CNIs that do their own IPAM (weave) or on pre-IPAM clusters (docker0). */
  podCIDR?: string
  controlPlane?: boolean
  /** `ip -o addr show` lines beyond lo and eth0 (CNI bridges). */
  extraAddresses?: {iface: string; cidr: string}[]
}

export interface ClusterSpec {
  kubeVersion: string
  /** kube-proxy's --cluster-cidr; undefined when kube-proxy ran without one (no "! -s" masquerade rules). */
  clusterCIDR?: string
  nodes: NodeSpec[]
  services: ServiceSpec[]
}

/** What the layouts need about one service port, with every chain name computed once. */
export interface PortView {
  svc: ServiceSpec
  port: PortSpec
  spn: string
  proto: 'tcp' | 'udp'
  svcChain: string
  svlChain: string
  extChain: string
  fwChain: string
  endpoints: {ip: string; node: string; target: string; chain: string}[]
}

/**
 * @param colonForUnnamed kube-proxy before ~1.10 printed an unnamed port as `ns/name:`; the
 *   chain hashes were computed from that string too.
 */
export function portViews(svc: ServiceSpec, colonForUnnamed = false): PortView[] {
  return svc.ports.map((port) => {
    const base = servicePortName(svc.namespace, svc.name, port.name)
    const spn = colonForUnnamed && !port.name ? base + ':' : base
    const proto = port.protocol === 'UDP' ? 'udp' : 'tcp'
    const endpoints = svc.endpoints
      .filter((ep) => ep.ready !== false)
      .map((ep) => {
        const target = `${ep.ip}:${port.targetPort}`
        return {ip: ep.ip, node: ep.node, target, chain: endpointChainName(spn, proto, target)}
      })
    const chain = (prefix: string) => serviceChainName(prefix, spn, proto)
    return {
      svc, port, spn, proto, endpoints,
      svcChain: chain('KUBE-SVC-'), svlChain: chain('KUBE-SVL-'), extChain: chain('KUBE-EXT-'), fwChain: chain('KUBE-FW-'),
    }
  })
}

/** The cluster objects an API server holding this spec returns. */
export function clusterObjects(spec: ClusterSpec): ClusterObjects {
  return {
    nodes: spec.nodes.map((node) => nodeObject(node, spec.kubeVersion)),
    services: spec.services.map(serviceObject),
    endpointSlices: spec.services.map(sliceObject),
    pods: spec.services.flatMap((svc) => podObjects(svc, spec)),
    configMaps: [],
  }
}

function nodeObject(node: NodeSpec, version: string): Node {
  return {
    kind: 'Node',
    metadata: {name: node.name, labels: {'kubernetes.io/hostname': node.name, ...(node.controlPlane ? {'node-role.kubernetes.io/control-plane': ''} : {})}},
    spec: node.podCIDR ? {podCIDR: node.podCIDR, podCIDRs: [node.podCIDR]} : {},
    status: {
      addresses: [{type: 'InternalIP', address: node.ip}, {type: 'Hostname', address: node.name}],
      nodeInfo: {kubeletVersion: version, kubeProxyVersion: version},
    },
  }
}

function serviceObject(svc: ServiceSpec): Service {
  const external = svc.type !== 'ClusterIP'
  const result: Service = {
    kind: 'Service',
    metadata: {name: svc.name, namespace: svc.namespace, labels: svc.selector ?? {component: 'apiserver'}},
    spec: {
      type: svc.type,
      clusterIP: svc.clusterIP,
      clusterIPs: [svc.clusterIP],
      ipFamilies: ['IPv4'],
      ports: svc.ports.map((p) => ({...(p.name ? {name: p.name} : {}), protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...(p.nodePort ? {nodePort: p.nodePort} : {})})),
      ...(svc.selector ? {selector: svc.selector} : {}),
      sessionAffinity: svc.affinitySeconds ? 'ClientIP' : 'None',
      ...(svc.affinitySeconds ? {sessionAffinityConfig: {clientIP: {timeoutSeconds: svc.affinitySeconds}}} : {}),
      internalTrafficPolicy: svc.internalTrafficPolicy ?? 'Cluster',
      ...(external ? {externalTrafficPolicy: svc.externalTrafficPolicy ?? 'Cluster'} : {}),
      ...(svc.healthCheckNodePort ? {healthCheckNodePort: svc.healthCheckNodePort} : {}),
      ...(svc.loadBalancerSourceRanges ? {loadBalancerSourceRanges: svc.loadBalancerSourceRanges} : {}),
    },
    status: {loadBalancer: svc.loadBalancerIPs ? {ingress: svc.loadBalancerIPs.map((ip) => ({ip, ipMode: 'VIP'}))} : {}},
  }
  return result
}

function sliceObject(svc: ServiceSpec): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: {
      name: svc.name === 'kubernetes' ? 'kubernetes' : `${svc.name}-${shortHash(svc.namespace + svc.name)}`,
      namespace: svc.namespace,
      labels: {'kubernetes.io/service-name': svc.name, 'endpointslice.kubernetes.io/managed-by': svc.selector ? 'endpointslice-controller.k8s.io' : 'endpointslice-mirroring-controller.k8s.io'},
    },
    addressType: 'IPv4',
    endpoints: svc.endpoints.map((ep) => ({
      addresses: [ep.ip],
      conditions: {ready: ep.ready !== false, serving: ep.ready !== false, terminating: false},
      ...(ep.pod ? {nodeName: ep.node, targetRef: {kind: 'Pod', name: ep.pod, namespace: svc.namespace}} : {}),
    })),
    ports: svc.ports.map((p) => ({...(p.name ? {name: p.name} : {name: ''}), protocol: p.protocol, port: p.targetPort})),
  }
}

function podObjects(svc: ServiceSpec, spec: ClusterSpec): Pod[] {
  return svc.endpoints
    .filter((ep) => ep.pod !== undefined)
    .map((ep) => ({
      kind: 'Pod',
      metadata: {name: ep.pod as string, namespace: svc.namespace, labels: svc.selector ?? {}},
      spec: {nodeName: ep.node, containers: [{name: svc.name, image: `${svc.name}:latest`}]},
      status: {
        phase: 'Running',
        podIP: ep.ip,
        podIPs: [{ip: ep.ip}],
        hostIP: spec.nodes.find((n) => n.name === ep.node)?.ip,
        conditions: [{type: 'Ready', status: ep.ready === false ? 'False' : 'True'}],
      },
    } as Pod))
}

/** A stable 5-character suffix, like the random one the EndpointSlice controller appends. */
function shortHash(text: string): string {
  let h = 2166136261
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0
  return h.toString(36).slice(0, 5).padEnd(5, 'x')
}

/** A restore-file builder: chain declarations and rules per table, in the order written. */
export class Ruleset {
  private tables = new Map<string, {builtin: string[]; chains: Set<string>; rules: string[]}>()

  table(name: string, builtin: string[]): this {
    this.tables.set(name, {builtin, chains: new Set(), rules: []})
    return this
  }

  chain(table: string, name: string): this {
    this.get(table).chains.add(name)
    return this
  }

  add(table: string, rule: string): this {
    const t = this.get(table)
    const chain = rule.split(' ')[1]
    if (!t.builtin.some((b) => b.startsWith(chain + ' '))) t.chains.add(chain)
    t.rules.push(rule)
    return this
  }

  text(): string {
    const out: string[] = []
    for (const [name, t] of this.tables) {
      out.push(`*${name}`, ...t.builtin.map((b) => `:${b} [0:0]`), ...[...t.chains].map((c) => `:${c} - [0:0]`), ...t.rules, 'COMMIT')
    }
    return out.join('\n') + '\n'
  }

  private get(table: string) {
    const t = this.tables.get(table)
    if (!t) throw new Error(`table ${table} not declared`)
    return t
  }
}
