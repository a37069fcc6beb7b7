/**
 * Parse a node's captured rules once, and turn parse errors into one-line InputErrors that name
 * the file and line (`nodes/k8s-1/iptables-save.txt:12:5: ...`).
 */
import {InputError} from '../errors.js'
import {formatIssue, materializeAll, parseRules} from '../parse/index.js'
import type {IptablesDump, ParseIssue} from '../parse/types.js'
import type {NodeCapture, RulesText} from '../snapshot/types.js'

export interface ParseNodeOptions {
  table?: string
  /**
   * false: keep going past error-level issues (kpx rules shows them all); every rule is then
   * decoded. Strict parsing is lazy: rules decode when read, and errors found that late are
   * raised by `assertNoLateErrors` once the command has done its work.
   */
  strict?: boolean
}

/** Where each parsed dump came from, for late (lazy) errors. */
const origins = new WeakMap<IptablesDump, string>()

export function parseNodeRules(node: NodeCapture, opts: ParseNodeOptions = {}): IptablesDump {
  if (node.parsed?.iptables) return opts.strict === false ? materializeAll(node.parsed.iptables) : node.parsed.iptables
  if (!node.iptables) {
    throw new InputError(`node ${node.name} has no IPv4 rules (iptables-save.txt)`, [
      'capture them with `iptables-save -c > nodes/' + node.name + '/iptables-save.txt`',
    ])
  }
  const dump = parseText(node.iptables, opts, 4)
  node.parsed = {...node.parsed, iptables: dump}
  return dump
}

export function parseNodeRules6(node: NodeCapture, opts: ParseNodeOptions = {}): IptablesDump | undefined {
  if (node.parsed?.ip6tables) return opts.strict === false ? materializeAll(node.parsed.ip6tables) : node.parsed.ip6tables
  if (!node.ip6tables) return undefined
  const dump = parseText(node.ip6tables, opts, 6)
  node.parsed = {...node.parsed, ip6tables: dump}
  return dump
}

/** `family` for ip6tables-save.txt only: a file named so is IPv6 even with no address in it. */
function parseText(rules: RulesText, opts: ParseNodeOptions, family: 4 | 6): IptablesDump {
  const strict = opts.strict !== false
  const dump = parseRules(rules.text, {table: opts.table, lazy: strict, knownClean: rules.clean, ...(family === 6 ? {family} : {})})
  origins.set(dump, rules.origin)
  if (strict) assertNoErrors(rules.origin, dump.issues)
  return dump
}

/** The parse callback the tracer takes: one family, strict, undefined when the node has none. */
export function parseFamily(node: NodeCapture, family: 4 | 6, table?: string): IptablesDump | undefined {
  if (family === 6) return parseNodeRules6(node, {table})
  return node.iptables ? parseNodeRules(node, {table}) : undefined
}

/** Both families of a node, strict: [IPv4, IPv6], each undefined when absent (check, services). */
export function parseBothFamilies(node: NodeCapture, table?: string): [IptablesDump | undefined, IptablesDump | undefined] {
  return [parseFamily(node, 4, table), parseFamily(node, 6, table)]
}

/**
 * After a command has read what it needs: an error found while decoding a lazy rule (a bad
 * option value on a rule the trace walked) is an InputError naming FILE:LINE, as it would have
 * been had the whole dump been decoded up front. Rules never read are not checked.
 */
export function assertNoLateErrors(nodes: NodeCapture[]): void {
  for (const node of nodes) {
    for (const dump of [node.parsed?.iptables, node.parsed?.ip6tables]) {
      if (dump) assertNoErrors(origins.get(dump) ?? node.name, dump.issues)
    }
  }
}

/** Throws an InputError for the first error-level issue, saying how many more there are. */
export function assertNoErrors(origin: string, issues: ParseIssue[]): void {
  const errors = issues.filter((i) => i.severity === 'error')
  if (errors.length === 0) return
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''
  throw new InputError(formatIssue(origin, errors[0]) + more, [`kpx rules --rules ${origin} lists every problem`], 'unparsable-rules')
}

/** Warnings and infos, formatted for a result's `warnings` list. */
export function issueWarnings(origin: string, issues: ParseIssue[]): string[] {
  return issues.filter((i) => i.severity !== 'error').map((i) => formatIssue(origin, i))
}
