/**
 * Public result types of `kpx trace` (the `--json` schema). Fields may be added, never renamed
 * or removed: CHANGELOG.md records any change as a BREAKING CHANGE.
 */

export type Protocol = 'tcp' | 'udp' | 'sctp'

/** The first packet of a new connection, before any NAT. */
export interface Packet {
  src: string
  dst: string
  proto: Protocol
  dport: number
  /** Unknown unless given; a rule matching on it forks with an assumption. */
  sport?: number
}

/** Where the packet enters netfilter: nat OUTPUT when the node sends it, nat PREROUTING otherwise. */
export type EntryHook = 'PREROUTING' | 'OUTPUT'

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING'

/** One rule that mattered on the walk (or the policy of a built-in chain, rule 0, line = declaration). */
export interface TraceStep {
  hook: Hook
  table: string
  chain: string
  /** 1-based rule index in the chain; 0 for a chain's policy. */
  rule: number
  /** 1-based source line; 0 when unknown. */
  line: number
  /** The rule as written in the dump (for a policy: `:CHAIN POLICY`). */
  text: string
  /** What matched, in words: `dst 10.96.0.10/32, tcp dport 53, random p=0.5`. */
  matched: string
  /** Probability of reaching this step given the outcome's assumptions. */
  probability: number
}

export type Verdict = 'DNAT' | 'ACCEPT' | 'DROP' | 'REJECT'

/** A condition kpx could not decide, and which way this outcome assumed it went. */
export interface TraceCondition {
  /** Stable key of the condition (same key = same question, answered once per walk). */
  key: string
  holds: boolean
  /** Human text: `client already has session affinity to KUBE-SEP-…`. */
  text: string
}

export interface PodRef {
  name: string
  namespace: string
  node: string | null
  ready: boolean | null
  serving: boolean | null
  terminating: boolean | null
}

export interface TraceOutcome {
  verdict: Verdict
  /** `ip:port` or `[ip6]:port` for DNAT; null otherwise. */
  endpoint: string | null
  /**
   * Probability of this outcome given that its conditions hold. Outcomes whose conditions are
   * consistent with any one answer to every undecided question sum to 1 (with no undecided
   * questions: all outcomes sum to 1).
   */
  probability: number
  masquerade: boolean
  /** The POSTROUTING rule that masqueraded/SNATed the packet. */
  masqueradeRule: TraceStep | null
  /** Human-readable assumptions (undecided conditions and defaults kpx relied on). */
  assumptions: string[]
  path: TraceStep[]
  /** Undecided conditions this outcome depends on (machine-readable form of some assumptions). */
  conditions?: TraceCondition[]
  /** The rule that decided the verdict (DROP/REJECT/explicit ACCEPT, or the DNAT rule); null for a policy. */
  verdictRule?: TraceStep | null
  pod?: PodRef | null
  /** true when the endpoint is not listed ready (or serving, for terminating fallback) in the EndpointSlices. */
  stale?: boolean
}

export interface TraceServiceInfo {
  name: string
  namespace: string
  /** The Service port number (the cluster IP port). */
  port: number
  portName: string
  protocol: string
  clusterIPs: string[]
  nodePort?: number | null
  externalIPs?: string[]
  loadBalancerIPs?: string[]
  /** kube-proxy's `ns/name:port` key. */
  servicePortName?: string
}

export interface TraceResult {
  node: string
  mode: 'iptables'
  packet: {src: string; dst: string; proto: Protocol; dport: number; entry: EntryHook; sport?: number}
  service: TraceServiceInfo | null
  outcomes: TraceOutcome[]
  warnings: string[]
  /** How the source was chosen, e.g. `pod default/web-1 (default for a ClusterIP target)`. */
  source?: string
}
