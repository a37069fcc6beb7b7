/**
 * `kpx check`, library side: run the catalogue over a snapshot and return plain data
 * (a CheckReport); the command renders it as text, JSON or JUnit.
 */
import {UsageError} from '../errors.js'
import type {IptablesDump} from '../parse/types.js'
import type {NodeCapture, Snapshot} from '../snapshot/types.js'
import {buildExpectations, type ClusterExpectations} from './expectations.js'
import {expectationsFor, type PendingExpectations} from './expectations-thread.js'
import {endpointClaimsOf, hashMismatch} from './catalogue/hash-mismatch.js'
import type {ClaimsThread} from './claims-thread.js'
import {CHECKS} from './registry.js'
import {buildRulesView, type RulesView} from './rules-view.js'
import {namespaceOf} from './service-names.js'
import {SEVERITIES, type Check, type CheckContext, type CheckedNode, type CheckReport, type Finding, type NodeReport, type Severity, type SeverityCounts} from './types.js'

export {CHECKS} from './registry.js'
export {renderJUnit} from './junit.js'
export type * from './types.js'

export interface RunChecksOptions {
  /** Only these nodes get findings (all nodes still feed cross-node checks). Default: all. */
  nodes?: string[]
  /** Run only these check IDs. */
  only?: string[]
  /** Skip these check IDs. */
  skip?: string[]
  /** Keep only findings about Services in this namespace (node-wide findings are kept). */
  namespace?: string
  /**
   * Parse a node's rules: its IPv4 dump, or [IPv4, IPv6]; undefined or [] when the node has none.
   * Throwing (e.g. an InputError for unparsable rules) stops the run: the check could not run.
   */
  parse(node: NodeCapture): IptablesDump | (IptablesDump | undefined)[] | undefined
}

export function listChecks(): Pick<Check, 'id' | 'severity' | 'summary' | 'description'>[] {
  return CHECKS.map(({id, severity, summary, description}) => ({id, severity, summary, description}))
}

export function runChecks(snapshot: Snapshot, opts: RunChecksOptions): CheckReport {
  const run = prepareRun(snapshot, opts)
  return reportOf(run, run.selected.map((node) => runOnNode(run.checks, contextOf(run, node), opts.namespace)))
}

/**
 * runChecks with hash-mismatch's 10^5 hashes computed on `thread` while the other checks run on
 * this one, and the cluster side built on a thread of its own while this one parses the rules
 * (expectations-thread.ts): the same report (findings are sorted at the end, whatever order they
 * came in).
 */
export async function runChecksWithThread(snapshot: Snapshot, opts: RunChecksOptions, thread: ClaimsThread): Promise<CheckReport> {
  const run = await prepareRunMeanwhile(snapshot, opts)
  const deferred = run.checks.filter((check) => check === hashMismatch)
  const now = run.checks.filter((check) => check !== hashMismatch)
  const views = deferred.length === 0 ? [] : run.selected.flatMap((node) => node.views)
  const pending = views.map((view) => thread.verify(endpointClaimsOf(view)))
  const findings = run.selected.map((node) => runOnNode(now, contextOf(run, node), opts.namespace))
  const endpointClaimVerdicts = new Map((await Promise.all(pending)).map((verdicts, k) => [views[k], verdicts]))
  for (const [k, node] of run.selected.entries()) findings[k].push(...runOnNode(deferred, {...contextOf(run, node), endpointClaimVerdicts}, opts.namespace))
  return reportOf(run, findings)
}

/** What every run needs before the checks: the catalogue selection, the cluster side and every node's views. */
interface PreparedRun {
  snapshot: Snapshot
  checks: Check[]
  cluster?: ClusterExpectations
  allNodes: CheckedNode[]
  selected: CheckedNode[]
}

function prepareRun(snapshot: Snapshot, opts: RunChecksOptions): PreparedRun {
  const checks = selectChecks(opts.only, opts.skip)
  const cluster = snapshot.cluster ? buildExpectations(snapshot.cluster) : undefined
  const allNodes = snapshot.nodes.map((capture) => checkedNode(capture, opts.parse(capture), cluster?.hashIndex))
  return {snapshot, checks, cluster, allNodes, selected: selectNodes(allNodes, opts.nodes)}
}

/**
 * prepareRun with the cluster side built elsewhere (expectationsFor) while the rules are parsed
 * here. Errors come in prepareRun's order: a bad cluster.json (read first there) before any other.
 */
async function prepareRunMeanwhile(snapshot: Snapshot, opts: RunChecksOptions): Promise<PreparedRun> {
  const pending = snapshot.cluster && expectationsFor(snapshot.cluster)
  const checks = await clusterErrorsFirst(pending, () => selectChecks(opts.only, opts.skip))
  const allNodes: CheckedNode[] = []
  for (const capture of snapshot.nodes) {
    allNodes.push(await clusterErrorsFirst(pending, () => checkedNode(capture, opts.parse(capture), pending?.hashIndex)))
  }
  const cluster = await pending?.expectations
  return {snapshot, checks, cluster, allNodes, selected: selectNodes(allNodes, opts.nodes)}
}

/** `work`'s result; when it throws, the cluster side's error instead if it has one. */
async function clusterErrorsFirst<T>(pending: PendingExpectations | undefined, work: () => T): Promise<T> {
  try {
    return work()
  } catch (error) {
    await pending?.expectations
    throw error
  }
}

function contextOf(run: PreparedRun, node: CheckedNode): CheckContext {
  return {node, snapshot: run.snapshot, cluster: run.cluster, allNodes: run.allNodes}
}

/** The report of the selected nodes' findings (one list per node, same order). */
function reportOf(run: PreparedRun, perNode: Finding[][]): CheckReport {
  const findings = perNode.flat().sort(compareFindings)
  const nodes = run.selected.map((node, k) => nodeReport(node, perNode[k]))
  const counts = countBySeverity(findings)
  return {nodes, findings, checks: run.checks.map((c) => c.id), summary: {...counts, nodes: nodes.length, checksRun: run.checks.length}}
}

/** Does the report hold a finding at or above `level`? (The command exits 1 then.) */
export function failsAt(report: CheckReport, level: Severity): boolean {
  const rank = SEVERITIES.indexOf(level)
  return report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= rank)
}

function selectChecks(only: string[] | undefined, skip: string[] | undefined): Check[] {
  const known = new Set(CHECKS.map((c) => c.id))
  const unknown = [...(only ?? []), ...(skip ?? [])].filter((id) => !known.has(id))
  if (unknown.length > 0) {
    throw new UsageError(`unknown check ${unknown.join(', ')}`, ['kpx check --list shows the IDs: ' + [...known].join(', ')], 'unknown-check')
  }
  return CHECKS.filter((c) => (!only || only.length === 0 || only.includes(c.id)) && !skip?.includes(c.id))
}

function selectNodes(nodes: CheckedNode[], names: string[] | undefined): CheckedNode[] {
  if (!names || names.length === 0) return nodes
  const unknown = names.filter((n) => !nodes.some((node) => node.capture.name === n))
  if (unknown.length > 0) {
    throw new UsageError(`unknown node ${unknown.join(', ')}`, [`one of: ${nodes.map((n) => n.capture.name).join(', ')}`], 'unknown-node')
  }
  return nodes.filter((n) => names.includes(n.capture.name))
}

function checkedNode(capture: NodeCapture, parsed: ReturnType<RunChecksOptions['parse']>, hashIndex: Map<string, string> | undefined): CheckedNode {
  const dumps = (Array.isArray(parsed) ? parsed : [parsed]).filter((d): d is IptablesDump => d !== undefined)
  const origins = [capture.iptables?.origin, capture.ip6tables?.origin]
  const views = dumps.map((dump) =>
    buildRulesView(dump, {origin: dump.family === 6 ? origins[1] : origins[0], hashIndex}),
  )
  return {capture, dumps, views}
}

function runOnNode(checks: Check[], ctx: CheckContext, namespace?: string): Finding[] {
  if (ctx.node.views.length === 0) return []
  const findings: Finding[] = []
  for (const check of checks) {
    if (check.needsCluster && !ctx.cluster) continue
    for (const finding of check.run(ctx)) {
      if (namespace && finding.service && namespaceOf(finding.service) !== namespace) continue
      findings.push(finding)
    }
  }
  return findings
}

function nodeReport(node: CheckedNode, findings: Finding[]): NodeReport {
  const report: NodeReport = {
    name: node.capture.name,
    rules: node.views.reduce((n, v) => n + v.ruleCount, 0),
    services: distinct(node.views, (v) => v.servicePorts),
    endpoints: distinct(node.views, function* (v) {
      for (const e of v.endpointChains.values()) yield e.endpoint ?? e.chain
    }),
    findings: countBySeverity(findings),
  }
  if (node.views.length === 0) report.skipped = 'no iptables rules captured for this node'
  return report
}

function distinct(views: RulesView[], values: (view: RulesView) => Iterable<string>): number {
  const seen = new Set<string>()
  for (const view of views) for (const value of values(view)) seen.add(value)
  return seen.size
}

function countBySeverity(findings: Finding[]): SeverityCounts {
  const counts: SeverityCounts = {error: 0, warning: 0, info: 0}
  for (const f of findings) counts[f.severity]++
  return counts
}

const CATALOGUE_ORDER = new Map(CHECKS.map((c, i) => [c.id, i]))

function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    a.node.localeCompare(b.node) ||
    (CATALOGUE_ORDER.get(a.id) ?? 0) - (CATALOGUE_ORDER.get(b.id) ?? 0) ||
    (a.service ?? '').localeCompare(b.service ?? '') ||
    (a.evidence?.line ?? 0) - (b.evidence?.line ?? 0)
  )
}
