/**
 * `kpx check` text output: a summary table per node, then findings grouped by severity, each
 * with its evidence (table, chain, rule, FILE:LINE) and a hint.
 */
import type {CheckReport, Finding, Severity} from '../checks/types.js'
import type {ChalkInstance} from './colors.js'
import {renderTable} from './table.js'

const HEADINGS: Record<Severity, string> = {error: 'errors', warning: 'warnings', info: 'info'}

export function renderCheckReport(report: CheckReport, {chalk, failOn}: {chalk: ChalkInstance; failOn: Severity}): string {
  const paint = painter(chalk)
  const table = renderTable(
    report.nodes.map((n) => [n.name, n.rules, n.services, n.endpoints, paint.error(n.findings.error), paint.warning(n.findings.warning), n.findings.info, n.skipped ?? '']),
    {head: ['NODE', 'RULES', 'SERVICES', 'ENDPOINTS', 'ERRORS', 'WARNINGS', 'INFO', 'NOTE'], alignRight: [1, 2, 3, 4, 5, 6]},
  )
  const sections = (['error', 'warning', 'info'] as const)
    .map((severity) => {
      const findings = report.findings.filter((f) => f.severity === severity)
      if (findings.length === 0) return ''
      return [chalk.bold(paint[severity](`${HEADINGS[severity]} (${findings.length})`)), ...findings.map((f) => renderFinding(f, chalk))].join('\n')
    })
    .filter(Boolean)
  const {error, warning, info, nodes, checksRun} = report.summary
  const counts = `${plural(error, 'error')}, ${plural(warning, 'warning')}, ${info} info on ${plural(nodes, 'node')} (${plural(checksRun, 'check')}; failing at ${failOn})`
  const verdict = failing(report, failOn) ? chalk.red.bold(`FAIL: ${counts}`) : chalk.green.bold(`OK: ${counts}`)
  return [table, ...sections, verdict].join('\n\n') + '\n'
}

function renderFinding(f: Finding, chalk: ChalkInstance): string {
  const mark = f.severity === 'error' ? chalk.red('✖') : f.severity === 'warning' ? chalk.yellow('!') : chalk.blue('i')
  const subject = [f.node, f.service, f.endpoint].filter(Boolean).join('  ')
  const lines = [`  ${mark} ${chalk.bold(f.id)}  ${subject}`, `    ${f.message}`]
  if (f.evidence) {
    const e = f.evidence
    const where = e.origin ? `${e.origin}:${e.line}` : `line ${e.line}`
    lines.push(chalk.dim(`    evidence: ${e.table} ${e.chain} #${e.rule} (${where})${e.text ? `  ${e.text}` : ''}`))
  }
  lines.push(chalk.cyan(`    hint: ${f.hint}`))
  return lines.join('\n')
}

export function renderCheckList(checks: {id: string; severity: Severity; summary: string}[], {chalk}: {chalk: ChalkInstance}): string {
  const paint = painter(chalk)
  return renderTable(checks.map((c) => [c.id, paint[c.severity](c.severity), c.summary]), {head: ['ID', 'SEVERITY', 'WHAT IT FINDS']}) + '\n'
}

function failing(report: CheckReport, failOn: Severity): boolean {
  const rank: Record<Severity, number> = {error: 0, warning: 1, info: 2}
  return report.findings.some((f) => rank[f.severity] <= rank[failOn])
}

function painter(chalk: ChalkInstance): Record<Severity, (v: string | number) => string> {
  return {
    error: (v) => (Number(v) === 0 ? String(v) : chalk.red(String(v))),
    warning: (v) => (Number(v) === 0 ? String(v) : chalk.yellow(String(v))),
    info: (v) => String(v),
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
