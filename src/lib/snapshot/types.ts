/**
 * A snapshot: everything kpx analyses, captured first (live, or read from disk). Analysis code
 * only ever sees a Snapshot, never a cluster, so every analysis is reproducible offline.
 * The on-disk form is the directory layout in README.md ("Snapshot format").
 */
import type {IptablesDump} from '../parse/types.js'

/** The subset of Kubernetes objects kpx reads. Field names are the API's JSON names. */
export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: {kind: string; name: string}[]
  deletionTimestamp?: string
}

export interface ServicePort {
  name?: string
  protocol?: 'TCP' | 'UDP' | 'SCTP'
  port: number
  targetPort?: number | string
  nodePort?: number
}

export interface Service {
  kind?: 'Service'
  metadata: ObjectMeta
  spec: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'
    clusterIP?: string
    clusterIPs?: string[]
    ports?: ServicePort[]
    externalIPs?: string[]
    externalTrafficPolicy?: 'Cluster' | 'Local'
    internalTrafficPolicy?: 'Cluster' | 'Local'
    sessionAffinity?: 'None' | 'ClientIP'
    sessionAffinityConfig?: {clientIP?: {timeoutSeconds?: number}}
    healthCheckNodePort?: number
    loadBalancerSourceRanges?: string[]
    selector?: Record<string, string>
    ipFamilies?: ('IPv4' | 'IPv6')[]
    /** PreferClose / PreferSameZone / PreferSameNode: asks for topology-aware routing (k8s ≥ 1.30). */
    trafficDistribution?: string
  }
  status?: {loadBalancer?: {ingress?: {ip?: string; hostname?: string; ipMode?: string}[]}}
}

export interface Endpoint {
  addresses: string[]
  conditions?: {ready?: boolean; serving?: boolean; terminating?: boolean}
  nodeName?: string
  zone?: string
  /** Topology hints the EndpointSlice controller writes; kube-proxy may use only the ones for its zone/node. */
  hints?: {forZones?: {name: string}[]; forNodes?: {name: string}[]}
  targetRef?: {kind?: string; name?: string; namespace?: string}
}

export interface EndpointSlice {
  kind?: 'EndpointSlice'
  metadata: ObjectMeta
  addressType: 'IPv4' | 'IPv6' | 'FQDN'
  endpoints?: Endpoint[] | null
  ports?: {name?: string; protocol?: string; port?: number}[] | null
}

export interface Pod {
  kind?: 'Pod'
  metadata: ObjectMeta
  spec?: {nodeName?: string; hostNetwork?: boolean; containers?: {name: string; image?: string}[]}
  status?: {podIP?: string; podIPs?: {ip: string}[]; phase?: string; conditions?: {type: string; status: string}[]}
}

export interface Node {
  kind?: 'Node'
  metadata: ObjectMeta
  spec?: {podCIDR?: string; podCIDRs?: string[]}
  status?: {addresses?: {type: string; address: string}[]; nodeInfo?: {kubeProxyVersion?: string; kubeletVersion?: string}}
}

export interface ConfigMap {
  kind?: 'ConfigMap'
  metadata: ObjectMeta
  data?: Record<string, string>
}

export interface ClusterObjects {
  nodes: Node[]
  services: Service[]
  endpointSlices: EndpointSlice[]
  pods: Pod[]
  configMaps: ConfigMap[]
}

/** meta.json of a node: how the capture was made. All fields optional for hand-made snapshots. */
export interface NodeMeta {
  capturedAt?: string
  transport?: 'kube-proxy-exec' | 'debug-pod' | 'file' | string
  kubeProxyMode?: 'iptables' | 'ipvs' | 'nftables' | string
  kubeProxyVersion?: string
  backend?: 'legacy' | 'nft'
  commands?: {argv: string[]; exitCode: number; stderr?: string}[]
  warnings?: string[]
  /** Set when the node could not be read (live capture); the rest of the snapshot is still usable. */
  error?: string
  /** The KpxError code of `error`, e.g. node-timeout, exec-closed, forbidden. */
  errorCode?: string
}

/** The raw text of one rules file, with where it came from (for FILE:LINE errors). */
export interface RulesText {
  /** A path, or '-' for stdin, or `live:<node>` for a live capture. */
  origin: string
  text: string
  /** The text was checked for binary garbage on its bytes and has none (see asciiHasGarbage). */
  clean?: boolean
}

export interface NodeCapture {
  name: string
  iptables?: RulesText
  ip6tables?: RulesText
  /** The node's local addresses (addrtype LOCAL), without prefix lengths. */
  addresses: string[]
  /**
   * Optional: interfaces with their connected subnets (`ip -o addr show` lines:
   * `{name: 'eth0', cidr: '192.168.64.35/24'}`). The tracer uses them to know which interface a
   * packet arrives on / leaves by, instead of forking on every `-i`/`-o` match.
   */
  interfaces?: {name: string; cidr: string}[]
  meta?: NodeMeta
  /** Parsed on demand by loadNode(); undefined until then. */
  parsed?: {iptables?: IptablesDump; ip6tables?: IptablesDump}
}

export interface Snapshot {
  /** A directory, a file, or 'live'. */
  origin: string
  cluster?: ClusterObjects
  nodes: NodeCapture[]
}
