/**
 * The `kpx check` contract: a Finding is one place where a node's rules are unhealthy or differ
 * from what the cluster says; a Check is one entry of the catalogue; a CheckReport is what
 * `kpx check --json` prints (schemas/check.schema.json — public API: add fields, never rename).
 */
import type {IptablesDump, Rule} from '../parse/types.js'
import type {NodeCapture, Snapshot} from '../snapshot/types.js'
import type {ClusterExpectations} from './expectations.js'
import type {RulesView} from './rules-view.js'

export type Severity = 'error' | 'warning' | 'info'

/** Most severe first; `failsAt` and the renderers rely on this order. */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info']

/** The rule a finding points at, so a user can find it in the dump. */
export interface Evidence {
  table: string
  chain: string
  /** 1-based position in the chain (what `iptables -L --line-numbers` shows). */
  rule: number
  /** 1-based line in the rules file. */
  line: number
  /** The rules file (`nodes/k8s-1/iptables-save.txt`), when known. */
  origin?: string
  /** The rule as written in the dump. */
  text?: string
}

export interface Finding {
  /** The check's stable kebab-case ID. */
  id: string
  severity: Severity
  node: string
  /** `namespace/name:port` (kube-proxy's service port name), when the finding is about one. */
  service?: string
  /** `ip:port` (`[v6]:port`), when the finding is about one endpoint. */
  endpoint?: string
  /** One line naming the node, Service and endpoint. */
  message: string
  /** What to do about it. */
  hint: string
  evidence?: Evidence
}

/** One node as the checks see it: the capture, its parsed dumps (v4, v6) and their views. */
export interface CheckedNode {
  capture: NodeCapture
  dumps: IptablesDump[]
  /** One view per dump, same order. */
  views: RulesView[]
}

export interface CheckContext {
  node: CheckedNode
  snapshot: Snapshot
  /** Absent when the snapshot has no cluster.json: cluster-side checks then say nothing. */
  cluster?: ClusterExpectations
  /** Every node of the snapshot (not only the selected ones), for cross-node checks. */
  allNodes: CheckedNode[]
  /**
   * hash-mismatch's verdicts on each view's KUBE-SEP name claims (endpointClaimsOf order), when
   * the runner had them computed ahead on another thread; absent: the check computes them.
   */
  endpointClaimVerdicts?: Map<RulesView, Uint8Array>
}

export interface Check {
  id: string
  /** One line for `kpx check --list`. */
  summary: string
  /** The most severe finding this check emits. */
  severity: Severity
  /** What it means and why it matters. */
  description: string
  /** true when the check needs cluster.json (it is silent without it). */
  needsCluster?: boolean
  run(ctx: CheckContext): Finding[]
}

export type SeverityCounts = Record<Severity, number>

export interface NodeReport {
  name: string
  /** Rules in all tables of all dumps of the node. */
  rules: number
  /** Service ports that have kube-proxy chains on the node. */
  services: number
  /** Distinct endpoints (KUBE-SEP DNAT destinations) on the node. */
  endpoints: number
  findings: SeverityCounts
  /** Why the node was not checked (e.g. no iptables rules captured). */
  skipped?: string
}

export interface CheckReport {
  nodes: NodeReport[]
  /** Sorted by severity, node, check ID, service. */
  findings: Finding[]
  /** The IDs of the checks that ran, in catalogue order. */
  checks: string[]
  summary: SeverityCounts & {nodes: number; checksRun: number}
}

/** Helper for checks: the evidence of a parsed rule. */
export function evidenceOf(rule: Rule, origin?: string): Evidence {
  const evidence: Evidence = {table: rule.table, chain: rule.chain, rule: rule.index, line: rule.line, text: rule.raw}
  if (origin) evidence.origin = origin
  return evidence
}
