/**
 * `kpx services` human output: one table per node, one row per Service port, endpoints one per
 * line inside the cell with their effective share (stale ones in red).
 */
import type {ServicePortRow} from '../trace/index.js'
import type {ChalkInstance} from './colors.js'
import {renderTable} from './table.js'
import {formatPercent} from './trace.js'

export interface NodeServices {
  node: string
  services: ServicePortRow[]
}

export function renderServices(nodes: NodeServices[], {chalk}: {chalk: ChalkInstance}): string {
  return nodes.map((n) => renderNode(n, chalk)).join('\n\n') + '\n'
}

function renderNode({node, services}: NodeServices, chalk: ChalkInstance): string {
  const head = chalk.bold(`node ${node}`) + chalk.dim(`  ${services.length} service ports`)
  if (services.length === 0) return head + '\n' + chalk.dim('  no kube-proxy service rules found')
  const rows = services.map((s) => [
    s.service,
    `${s.portName || '-'}/${s.protocol}`,
    s.clusterIPs.join('\n') || '-',
    s.nodePorts.join(', ') || '-',
    [...s.externalIPs.map((ip) => `ext ${ip}`), ...s.loadBalancerIPs.map((ip) => `lb ${ip}`)].join('\n') || '-',
    policy(s),
    s.affinitySeconds === null ? '-' : `ClientIP ${s.affinitySeconds}s`,
    endpoints(s, chalk),
  ])
  return head + '\n' + renderTable(rows, {head: ['SERVICE', 'PORT', 'CLUSTER-IP', 'NODEPORT', 'EXTERNAL', 'POLICY', 'AFFINITY', 'ENDPOINTS']})
}

function policy(s: ServicePortRow): string {
  const parts = [s.policy.external ? `ext ${s.policy.external}` : '', s.policy.internal !== 'Cluster' ? `int ${s.policy.internal}` : ''].filter(Boolean)
  return parts.join('\n') || 'Cluster'
}

function endpoints(s: ServicePortRow, chalk: ChalkInstance): string {
  const lines = s.endpoints.map((e) => {
    const text = `${e.address ?? chalk.red(`${e.chain} (no DNAT)`)} ${formatPercent(e.probability)}${e.local ? ' local' : ''}${e.pod ? ` ${e.pod}` : ''}`
    return e.stale ? chalk.red(`${text} STALE`) : text
  })
  if (s.rejects) lines.push(chalk.yellow('REJECT: has no endpoints'))
  if (s.drops) lines.push(chalk.yellow('DROP: no local endpoints'))
  return lines.join('\n') || chalk.dim('none')
}
