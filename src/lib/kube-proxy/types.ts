/**
 * What kube-proxy's iptables rules say about Services, read back from a node's dump.
 * Plain JSON-serialisable data (Maps only at the top level for lookups, see ProxyModel).
 */

/** A pointer back into the dump, so every fact can be shown with its source line. */
export interface RuleRef {
  table: string
  chain: string
  /** 1-based rule index in the chain. */
  rule: number
  line: number
  text: string
}

export interface EndpointModel {
  /** The KUBE-SEP-<hash> chain. */
  chain: string
  /** DNAT target, `ip:port` or `[ip6]:port`; null when the SEP chain has no DNAT rule. */
  address: string | null
  ip: string | null
  port: number | null
  /** The chance a new connection entering the listing chain lands here (cascade of 2^-31-quantised probabilities). */
  probability: number
  /** The statistic probability as written on the jump (undefined for the last, unconditional one). */
  ruleProbability?: number
  /** The jump rule in the SVC/SVL/XLB chain. */
  rule: RuleRef
  /** A session-affinity (`recent --rcheck`) rule exists for this endpoint. */
  affinity: boolean
}

export type TrafficPolicy = 'Cluster' | 'Local'

export interface ServicePortModel {
  /** kube-proxy's servicePortName: `ns/name:port`, or `ns/name` when unnamed. */
  key: string
  namespace: string
  name: string
  portName: string
  /** Lower-case: tcp, udp, sctp. */
  protocol: string
  /** true when the name came from comments or a matching chain hash; false for chain-only guesses. */
  named: boolean
  clusterIPs: string[]
  /** The cluster IP port (the Service port). */
  port: number | null
  nodePorts: number[]
  externalIPs: string[]
  loadBalancerIPs: string[]
  loadBalancerSourceRanges: string[]
  healthCheckNodePort: number | null
  /** From the chain layout: EXT→SVL / old XLB means Local; EXT→SVC means Cluster. null when not exposed externally. */
  externalTrafficPolicy: TrafficPolicy | null
  /** Cluster IP → SVL means Local. */
  internalTrafficPolicy: TrafficPolicy
  /** Session affinity (ClientIP): seconds from `recent --seconds`, null when none. */
  affinitySeconds: number | null
  chains: {svc?: string; svl?: string; ext?: string; fw?: string; xlb?: string}
  /** Endpoints of the cluster-wide chain (KUBE-SVC), in rule order. */
  endpoints: EndpointModel[]
  /** Endpoints of the node-local chain (KUBE-SVL or KUBE-XLB), in rule order. */
  localEndpoints: EndpointModel[]
  /** filter-table REJECT "has no endpoints" rules. */
  rejectRules: RuleRef[]
  /** filter-table DROP "has no local endpoints" rules. */
  dropRules: RuleRef[]
  /** Rules that name this port, for the render and checks (KUBE-SERVICES/KUBE-NODEPORTS entries). */
  entryRules: RuleRef[]
}

/** Non-kube-proxy things on the packet path that kpx recognises. */
export interface ForeignChain {
  kind: 'portals' | 'userspace-nodeports' | 'cni-hostport' | 'cni-dn'
  table: string
  chain: string
  rules: number
  /** For CNI-DN-* hostPort chains: `dport → ip:port` mappings. */
  hostPorts?: {protocol: string; hostPort: number; target: string; rule: RuleRef}[]
}

export interface ProxyModel {
  family: 4 | 6
  /** Service ports keyed by `ns/name:port`, in first-seen order. */
  servicePorts: Map<string, ServicePortModel>
  /** Every per-service chain (SVC/SVL/EXT/FW/XLB/SEP) → the service port key it belongs to. */
  chainOwner: Map<string, string>
  /** KUBE-SEP chains not reachable from any service chain (stale leftovers). */
  orphanEndpointChains: string[]
  foreign: ForeignChain[]
  /** Layout hints: e.g. 'ext-chains' (>= 1.24), 'xlb-chains' (< 1.24), 'no-comments'. */
  layout: string[]
}
