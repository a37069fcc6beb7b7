/**
 * `kpx rules` human output: per node and table, the chains with their rule counts and kube-proxy
 * kind, a kube-proxy summary, and every parse warning as FILE:LINE: message.
 */
import {classifyChain, type ChainKind} from '../kube-proxy/names.js'
import {formatIssue, printRule} from '../parse/index.js'
import type {Chain, IptablesDump} from '../parse/types.js'
import type {ChalkInstance} from './colors.js'
import {renderTable} from './table.js'

export interface RulesNode {
  name: string
  origin: string
  dump: IptablesDump
}

export interface RulesRenderOptions {
  chalk: ChalkInstance
  /** Print the rules of these chains in full (with index and source line). */
  chains?: string[]
}

/** Short labels for the kube-proxy chain kinds, in the order a packet meets them. */
const KIND_LABELS: [ChainKind, string][] = [
  ['services', 'SERVICES'],
  ['nodeports', 'NODEPORTS'],
  ['external-services', 'EXTERNAL-SERVICES'],
  ['fw', 'FW'],
  ['ext', 'EXT'],
  ['xlb', 'XLB'],
  ['svc', 'SVC'],
  ['svl', 'SVL'],
  ['sep', 'SEP'],
  ['mark-masq', 'MARK-MASQ'],
  ['mark-drop', 'MARK-DROP'],
  ['postrouting', 'POSTROUTING'],
  ['forward', 'FORWARD'],
  ['firewall', 'FIREWALL'],
  ['proxy-firewall', 'PROXY-FIREWALL'],
  ['canary', 'CANARY'],
  ['portals', 'PORTALS (userspace leftover)'],
  ['userspace-nodeports', 'NODEPORT-HOST/CONTAINER (userspace leftover)'],
  ['cni-hostport', 'CNI-HOSTPORT'],
  ['cni-dn', 'CNI-DN'],
  ['kube-other', 'other KUBE-*'],
]

/** The summary of every node; with `chains`, only those chains' rules (what the user asked for). */
export function renderRules(nodes: RulesNode[], {chalk, chains = []}: RulesRenderOptions): string {
  if (chains.length > 0) return renderChosenChains(nodes, chalk, chains)
  return nodes.map((node) => renderNode(node, chalk)).join('\n\n') + '\n'
}

function renderChosenChains(nodes: RulesNode[], chalk: ChalkInstance, chains: string[]): string {
  const parts = nodes.flatMap(({name, dump}) =>
    dump.tables.flatMap((table) =>
      table.chains.filter((c) => chains.includes(c.name)).map((c) => chalk.bold(`node ${name}`) + chalk.dim(`  table ${table.name}`) + '\n' + renderChainRules(c, chalk)),
    ),
  )
  return parts.join('\n\n') + '\n'
}

function renderNode({name, origin, dump}: RulesNode, chalk: ChalkInstance): string {
  const ruleCount = dump.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0)
  const gen = dump.generator ? `, ${dump.generator.version}${dump.generator.backend ? ` (${dump.generator.backend})` : ''}` : ''
  const lines = [
    chalk.bold(`node ${name}`) +
      chalk.dim(`  ${origin}: ${dump.format}${gen}, IPv${dump.family}, ${dump.tables.length} tables, ${ruleCount} rules`),
  ]
  if (dump.partial) lines.push(chalk.yellow('  partial input: tables, chains or policies may be missing'))
  for (const table of dump.tables) {
    const tableRules = table.chains.reduce((m, c) => m + c.rules.length, 0)
    lines.push('', chalk.bold(`  table ${table.name}`) + chalk.dim(`  ${table.chains.length} chains, ${tableRules} rules`))
    const kinds = kubeProxySummary(table.chains)
    if (kinds) lines.push(`  kube-proxy: ${kinds}`)
    const rows = table.chains
      .filter((c) => !isPerServiceKind(classifyChain(c.name)))
      .map((c) => [c.name, c.policy ?? '-', c.rules.length, classifyChain(c.name)])
    const hidden = table.chains.length - rows.length
    lines.push(indent(renderTable(rows, {head: ['CHAIN', 'POLICY', 'RULES', 'KIND'], alignRight: [2]}), 4))
    if (hidden > 0) lines.push(chalk.dim(`    (${hidden} per-service chains counted above; --chain NAME prints one)`))
  }
  const notes = dump.issues.map((i) => {
    const text = formatIssue(origin, i)
    return i.severity === 'error' ? chalk.red(text) : i.severity === 'warning' ? chalk.yellow(text) : chalk.dim(text)
  })
  if (notes.length > 0) lines.push('', chalk.bold('  issues'), ...notes.map((n) => `    ${n}`))
  return lines.join('\n')
}

function renderChainRules(chain: Chain, chalk: ChalkInstance): string {
  const head = chalk.bold(`  chain ${chain.name}`) + (chain.policy ? chalk.dim(` (policy ${chain.policy})`) : '')
  if (chain.rules.length === 0) return head + chalk.dim('\n    (no rules)')
  return [head, ...chain.rules.map((r) => `    ${String(r.index).padStart(3)}  ${chalk.dim(`line ${r.line}`)}  ${printRule(r)}`)].join('\n')
}

function kubeProxySummary(chains: Chain[]): string {
  const counts = new Map<ChainKind, number>()
  for (const c of chains) {
    const kind = classifyChain(c.name)
    counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return KIND_LABELS.filter(([k]) => counts.has(k))
    .map(([k, label]) => `${label} ${counts.get(k)}`)
    .join(', ')
}

function isPerServiceKind(kind: ChainKind): boolean {
  return ['svc', 'svl', 'ext', 'fw', 'xlb', 'sep', 'cni-dn'].includes(kind)
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n')
}
