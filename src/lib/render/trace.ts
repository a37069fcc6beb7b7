/**
 * `kpx trace` human output. The outcomes' paths share prefixes (every branch starts at nat
 * PREROUTING/OUTPUT), so they are merged into one tree that only indents where the walk forks:
 * a straight run of rules stays flush, a statistic or an undecided match opens branches.
 */
import {formatEndpoint as formatHostPort} from '../net/ip.js'
import type {TraceOutcome, TraceResult, TraceStep} from '../trace/types.js'
import type {ChalkInstance} from './colors.js'
import {renderTable} from './table.js'

export interface TraceRenderOptions {
  chalk: ChalkInstance
  /** Print the rule text of every step (default: the matched condition only). */
  verbose?: boolean
}

interface TreeNode {
  step?: TraceStep
  children: TreeNode[]
  outcomes: TraceOutcome[]
}

export function renderTraces(results: TraceResult[], opts: TraceRenderOptions): string {
  const parts = results.map((r) => renderTrace(r, opts))
  if (results.length > 1) parts.push(renderDifferences(results, opts.chalk))
  return parts.join('\n\n') + '\n'
}

export function renderTrace(result: TraceResult, {chalk, verbose = false}: TraceRenderOptions): string {
  const {packet} = result
  const lines = [
    chalk.bold(`node ${result.node}`) +
      `  ${packet.proto} ${packet.src} → ${formatHostPort(packet.dst, packet.dport)}` +
      chalk.dim(`  (enters nat ${packet.entry})`),
  ]
  if (result.service) {
    const s = result.service
    const extra = [
      `cluster IP ${s.clusterIPs.join(', ') || 'none'}`,
      s.nodePort ? `NodePort ${s.nodePort}` : '',
      s.externalIPs?.length ? `external ${s.externalIPs.join(', ')}` : '',
      s.loadBalancerIPs?.length ? `load balancer ${s.loadBalancerIPs.join(', ')}` : '',
    ].filter(Boolean)
    lines.push(`service ${chalk.bold(`${s.namespace}/${s.name}`)} port ${s.portName || s.port}/${s.protocol} ${chalk.dim(`(${extra.join(', ')})`)}`)
  } else {
    lines.push(chalk.dim('service: none matched (the packet is not addressed to a Service on this node)'))
  }
  if (result.source) lines.push(chalk.dim(`source: ${result.source}`))
  lines.push('', ...renderTree(buildTree(result.outcomes), chalk, verbose, ''))
  if (result.service && result.outcomes.every((o) => o.verdict === 'ACCEPT' && !o.endpoint)) {
    lines.push(chalk.red.bold(`no rule on this node translates ${formatHostPort(packet.dst, packet.dport)}: the packet goes out unchanged and nothing answers for the Service (kube-proxy's rules for it are missing)`))
  }
  lines.push('', renderOutcomeTable(result.outcomes, chalk))
  const assumptions = [...new Set(result.outcomes.flatMap((o) => o.assumptions))]
  if (assumptions.length > 0) lines.push('', chalk.bold('assumptions'), ...assumptions.map((a) => `  - ${a}`))
  if (result.warnings.length > 0) lines.push('', chalk.bold(chalk.yellow('warnings')), ...result.warnings.map((w) => chalk.yellow(`  - ${w}`)))
  return lines.join('\n')
}

function buildTree(outcomes: TraceOutcome[]): TreeNode {
  const root: TreeNode = {children: [], outcomes: []}
  for (const outcome of outcomes) {
    let node = root
    for (const step of outcome.path) {
      let child = node.children.find((c) => c.step && sameStep(c.step, step))
      if (!child) {
        child = {step, children: [], outcomes: []}
        node.children.push(child)
      }
      node = child
    }
    node.outcomes.push(outcome)
  }
  return root
}

function sameStep(a: TraceStep, b: TraceStep): boolean {
  return a.hook === b.hook && a.table === b.table && a.chain === b.chain && a.rule === b.rule && a.line === b.line
}

/** Straight runs print at the same indent; a fork prints each branch under ├─ / └─. */
function renderTree(node: TreeNode, chalk: ChalkInstance, verbose: boolean, prefix: string): string[] {
  const lines: string[] = []
  let current = node
  for (;;) {
    // Outcomes that differ only in an undecided condition print the same leaf: show it once.
    for (const leaf of new Set(current.outcomes.map((o) => renderLeaf(o, chalk)))) lines.push(prefix + leaf)
    if (current.children.length === 1 && current.outcomes.length === 0) {
      current = current.children[0]
      lines.push(prefix + renderStep(current.step!, chalk, verbose, false))
      continue
    }
    current.children.forEach((child, i) => {
      const last = i === current.children.length - 1
      lines.push(prefix + chalk.dim(last ? '└─ ' : '├─ ') + renderStep(child.step!, chalk, verbose, true))
      lines.push(...renderTree({children: child.children, outcomes: child.outcomes}, chalk, verbose, prefix + chalk.dim(last ? '   ' : '│  ')))
    })
    return lines
  }
}

function renderStep(step: TraceStep, chalk: ChalkInstance, verbose: boolean, showProbability: boolean): string {
  const where = `${step.hook === step.chain ? '' : step.hook + ' '}${step.table} ${step.chain}`
  const at = step.rule === 0 ? 'policy' : `#${step.rule}`
  const p = showProbability ? chalk.cyan(`  [${formatPercent(step.probability)}]`) : ''
  const text = verbose ? chalk.dim(`  ${step.text}`) : ''
  return `${chalk.bold(where)} ${at} ${chalk.dim(`(line ${step.line})`)}  ${step.matched}${actionOf(step)}${p}${text}`
}

/** ` → KUBE-SVC-…`, ` → DNAT --to-destination 10.44.0.3:2368`: what the rule did, from its text. */
function actionOf(step: TraceStep): string {
  if (step.rule === 0) return ''
  const at = Math.max(step.text.lastIndexOf(' -j '), step.text.lastIndexOf(' -g '))
  if (at < 0) return ''
  const action = step.text.slice(at + 4)
  return ` → ${step.text.startsWith(' -g ', at) ? 'goto ' : ''}${action}`
}

function renderLeaf(o: TraceOutcome, chalk: ChalkInstance): string {
  const p = chalk.cyan(formatPercent(o.probability))
  const masq = o.masquerade ? chalk.magenta(' masqueraded') : ''
  if (o.verdict === 'DNAT') {
    const pod = o.pod ? ` ${o.pod.namespace}/${o.pod.name}${o.pod.node ? ` on ${o.pod.node}` : ''}` : ''
    const stale = o.stale ? chalk.red.bold(' STALE: not a ready endpoint of the Service') : ''
    const ep = o.stale ? chalk.red(o.endpoint ?? '') : chalk.green(o.endpoint ?? '')
    return `⇒ DNAT ${ep}${pod} ${p}${masq}${stale}`
  }
  const colour = o.verdict === 'ACCEPT' ? chalk.green : chalk.red
  const why = o.verdict === 'ACCEPT' && !o.verdictRule ? ' (no rule rewrote it: delivered unchanged)' : ''
  return `⇒ ${colour(o.verdict)}${why} ${p}${masq}`
}

/**
 * One row per distinct result. Outcomes that differ only in how an undecided match went (an
 * interface, say) land on the same endpoint with the same share, so they are merged; the IF
 * column keeps only the conditions every merged outcome shares, i.e. the ones that matter.
 */
function renderOutcomeTable(outcomes: TraceOutcome[], chalk: ChalkInstance): string {
  const groups = new Map<string, TraceOutcome[]>()
  for (const o of outcomes) {
    const key = [o.verdict, o.endpoint, o.masquerade, o.stale, o.probability.toFixed(9)].join('|')
    groups.set(key, [...(groups.get(key) ?? []), o])
  }
  const rows = [...groups.values()].map((group) => {
    const o = group[0]
    return [
      o.verdict === 'DNAT' ? (o.stale ? chalk.red(o.endpoint ?? '') : o.endpoint ?? '') : o.verdict,
      formatPercent(o.probability),
      o.pod ? `${o.pod.namespace}/${o.pod.name}` : o.verdict === 'DNAT' ? chalk.dim('unknown') : '',
      o.pod?.node ?? '',
      o.verdict !== 'DNAT' ? '' : o.stale ? chalk.red('STALE') : readiness(o),
      o.masquerade ? `yes (${o.masqueradeRule ? `${o.masqueradeRule.chain} #${o.masqueradeRule.rule}` : 'rule'})` : 'no',
      sharedConditions(group),
    ]
  })
  return renderTable(rows, {head: ['OUTCOME', 'SHARE', 'POD', 'NODE', 'STATE', 'MASQUERADE', 'IF'], alignRight: [1]})
}

function sharedConditions(group: TraceOutcome[]): string {
  const sig = (o: TraceOutcome) => new Set((o.conditions ?? []).map((c) => `${c.key}=${c.holds}`))
  const common = group.map(sig).reduce((a, b) => new Set([...a].filter((x) => b.has(x))))
  return (group[0].conditions ?? [])
    .filter((c) => common.has(`${c.key}=${c.holds}`))
    .map((c) => c.text)
    .join('; ')
}

function readiness(o: TraceOutcome): string {
  if (!o.pod || o.pod.ready === null) return 'unknown'
  if (o.pod.ready) return 'ready'
  if (o.pod.serving) return 'serving (terminating)'
  return 'not ready'
}

/** Nodes that send the same packet to different places are the first thing on-call wants to know. */
function renderDifferences(results: TraceResult[], chalk: ChalkInstance): string {
  const signature = (r: TraceResult) =>
    r.outcomes
      .map((o) => `${o.verdict} ${o.endpoint ?? ''} ${formatPercent(o.probability)}${o.masquerade ? ' masq' : ''}`)
      .sort()
      .join(', ')
  const groups = new Map<string, string[]>()
  for (const r of results) groups.set(signature(r), [...(groups.get(signature(r)) ?? []), r.node])
  if (groups.size === 1) return chalk.green(`all ${results.length} nodes agree`)
  return [chalk.bold(chalk.yellow(`nodes disagree (${groups.size} different results)`)), ...[...groups].map(([sig, nodes]) => `  ${nodes.join(', ')}: ${sig}`)].join('\n')
}

export function formatPercent(p: number): string {
  return `${(p * 100).toFixed(p === 1 || p === 0 ? 0 : 2)}%`
}


