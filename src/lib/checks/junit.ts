/**
 * JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters): one <testsuite> per node,
 * one <testcase> per check on that node, one <failure> per finding at or above the fail level;
 * findings below it go to <system-out> so they are visible without failing the build.
 */
import {SEVERITIES, type CheckReport, type Finding, type Severity} from './types.js'

export interface JUnitOptions {
  /** Findings at or above this severity are failures. Default: error. */
  failOn?: Severity
}

/** XML 1.0 text and attribute escaping; characters XML 1.0 cannot carry at all are dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

function describe(finding: Finding): string {
  const lines = [finding.message, `hint: ${finding.hint}`]
  const e = finding.evidence
  if (e) lines.push(`evidence: ${e.origin ? `${e.origin}:${e.line}` : `line ${e.line}`} (${e.table} ${e.chain} rule ${e.rule})${e.text ? `\n  ${e.text}` : ''}`)
  return lines.join('\n')
}

function testcase(node: string, check: string, findings: Finding[], failRank: number, skipped?: string): string {
  const open = `    <testcase classname="kpx.check.${escapeXml(node)}" name="${escapeXml(check)}" time="0"`
  if (skipped) return `${open}>\n      <skipped message="${escapeXml(skipped)}"/>\n    </testcase>`
  const failing = findings.filter((f) => SEVERITIES.indexOf(f.severity) <= failRank)
  const passing = findings.filter((f) => SEVERITIES.indexOf(f.severity) > failRank)
  const body = [
    ...failing.map(
      (f) => `      <failure message="${escapeXml(f.message)}" type="${f.severity}">${escapeXml(describe(f))}</failure>`,
    ),
    ...(passing.length > 0 ? [`      <system-out>${escapeXml(passing.map(describe).join('\n\n'))}</system-out>`] : []),
  ]
  return body.length === 0 ? `${open}/>` : `${open}>\n${body.join('\n')}\n    </testcase>`
}

export function renderJUnit(report: CheckReport, opts: JUnitOptions = {}): string {
  const failRank = SEVERITIES.indexOf(opts.failOn ?? 'error')
  const byNodeAndCheck = new Map<string, Finding[]>()
  for (const f of report.findings) {
    const key = `${f.node}\0${f.id}`
    byNodeAndCheck.set(key, [...(byNodeAndCheck.get(key) ?? []), f])
  }
  const suites: string[] = []
  let total = 0
  let failures = 0
  for (const node of report.nodes) {
    const cases = report.checks.map((check) => {
      const findings = byNodeAndCheck.get(`${node.name}\0${check}`) ?? []
      return testcase(node.name, check, findings, failRank, node.skipped)
    })
    const nodeFailures = cases.filter((c) => c.includes('<failure ')).length
    failures += nodeFailures
    total += cases.length
    const skipped = node.skipped ? ` skipped="${cases.length}"` : ''
    suites.push(
      `  <testsuite name="kpx check ${escapeXml(node.name)}" tests="${cases.length}" failures="${nodeFailures}" errors="0"${skipped}>\n${cases.join('\n')}\n  </testsuite>`,
    )
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kpx check" tests="${total}" failures="${failures}" errors="0">\n${suites.join('\n')}\n</testsuites>\n`
}
