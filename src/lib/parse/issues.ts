/**
 * ParseIssue helpers. Issues are data: the parser never throws on bad input, it records what it
 * found and carries on, like jsonc-parser's ParseError[].
 *
 * Codes (stable, public): empty-input, partial-dump, iptables-legacy-present, binary-garbage,
 * unbalanced-quote, missing-chain-name, missing-target-name, missing-option-value,
 * unexpected-word, unknown-option, bad-option-value, double-negation, dangling-negation,
 * bad-negation, duplicate-target, unknown-line, bad-chain-declaration, bad-counters,
 * rule-outside-table, truncated-table, undeclared-chain, missing-jump-target, duplicate-chain,
 * duplicate-table, commit-outside-table, mixed-formats.
 */
import type {ParseIssue} from './types.js'

/** Offending lines are quoted in issues, but a 1 MB line should not be copied into each one. */
const MAX_TEXT = 240

export function issueAt(
  severity: ParseIssue['severity'],
  code: string,
  line: number,
  column0: number | undefined,
  message: string,
  text?: string,
): ParseIssue {
  const issue: ParseIssue = {severity, code, line, message}
  if (column0 !== undefined) issue.column = column0 + 1
  if (text !== undefined) issue.text = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) + '…' : text
  return issue
}

/**
 * One line, as compilers print it: `origin:LINE:COL: severity: message [code]`. The column is
 * left out when unknown, and the line too for issues about the whole dump (line 0).
 */
export function formatIssue(origin: string, issue: ParseIssue): string {
  let where = origin
  if (issue.line > 0) where += `:${issue.line}` + (issue.column === undefined ? '' : `:${issue.column}`)
  const message = issue.message.replace(/[\r\n]+/g, ' ')
  return `${where}: ${issue.severity}: ${message} [${issue.code}]`
}

export function hasErrors(issues: ParseIssue[]): boolean {
  return issues.some((i) => i.severity === 'error')
}
