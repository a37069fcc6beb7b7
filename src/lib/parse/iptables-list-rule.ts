/**
 * One `iptables -L` rule line's columns → a Rule in the shared model, with the options that
 * iptables-save would print for the same rule (`-s 10.0.0.1/32`, `-p tcp`, `-m tcp --dport 80`,
 * `-j DNAT --to-destination ...`), and the typed views decoded by the same decoders the
 * iptables-save parser uses.
 */
import type {Match, Option, ParseIssue, Rule, Target} from './types.js'
import type {ListedColumns} from './iptables-list-columns.js'
import {parseListedExtensions} from './iptables-list-extensions.js'
import {opt, splitBang} from './iptables-list-tokens.js'
import {decodeMatch, noteConvenienceField} from './typed-matches.js'
import {decodeTarget} from './typed-targets.js'

/** Module name given to extension text the listing parser could not explain (kept verbatim). */
export const LISTING_TEXT_MODULE = 'listing-text'

export interface ListedRuleContext {
  table: string
  chain: string
  line: number
  raw: string
  index: number
  issues: ParseIssue[]
}

/**
 * iptables >= 1.8.8 prints protocol numbers with -n (`0`, `6`, `17`); iptables-save prints the
 * names from the xtables protocol table and /etc/protocols.
 */
const PROTOCOL_NAMES: Record<string, string> = {
  '0': 'all', '1': 'icmp', '2': 'igmp', '4': 'ipencap', '6': 'tcp', '17': 'udp', '41': 'ipv6', '47': 'gre',
  '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '89': 'ospf', '132': 'sctp', '136': 'udplite',
}

function issue(ctx: ListedRuleContext, severity: ParseIssue['severity'], code: string, message: string): void {
  ctx.issues.push({severity, code, line: ctx.line, message, text: ctx.raw.slice(0, 400)})
}

function builtin(flag: string, value: string, negated: boolean): Match {
  return {module: null, options: [opt(flag, [value], negated)]}
}

/** `10.0.0.1` → `10.0.0.1/32` as iptables-save prints it; `0.0.0.0/0` and `anywhere` mean no criterion. */
function addressMatch(flag: string, column: string, ctx: ListedRuleContext): Match | undefined {
  const {negated, value} = splitBang(column)
  if (!negated && (value === '0.0.0.0/0' || value === 'anywhere')) return undefined
  if (value === 'anywhere') return builtin(flag, '0.0.0.0/0', negated)
  if (/^\d+\.\d+\.\d+\.\d+$/.test(value)) return builtin(flag, `${value}/32`, negated)
  if (!/^\d+\.\d+\.\d+\.\d+\/[\d.]+$/.test(value)) {
    issue(ctx, 'warning', 'listing-hostname', `address "${value}" is not numeric (listing made without -n?); kept as written`)
  }
  return builtin(flag, value, negated)
}

function interfaceMatch(flag: string, column: string | undefined): Match | undefined {
  if (column === undefined || column === '*' || column === 'any') return undefined
  const {negated, value} = splitBang(column)
  return builtin(flag, value, negated)
}

function protocolMatch(column: string, ctx: ListedRuleContext): Match | undefined {
  const {negated, value} = splitBang(column)
  const name = PROTOCOL_NAMES[value] ?? value.toLowerCase()
  if (/^\d+$/.test(name)) issue(ctx, 'info', 'listing-protocol-number', `protocol number ${value} kept as a number (no name known)`)
  if (name === 'all' && !negated) return undefined
  return builtin('-p', name, negated)
}

/** The builtin criteria in the order iptables-save prints them: -s -d -i -o -p -f. */
function builtinMatches(cols: ListedColumns, ctx: ListedRuleContext): Match[] {
  const fragment = cols.opt === '--' ? undefined : ({module: null, options: [opt('-f', [], cols.opt === '!f')]} as Match)
  return [
    addressMatch('-s', cols.source, ctx),
    addressMatch('-d', cols.destination, ctx),
    interfaceMatch('-i', cols.in),
    interfaceMatch('-o', cols.out),
    protocolMatch(cols.prot, ctx),
    fragment,
  ].filter((m): m is Match => m !== undefined)
}

function decodeAll(rule: Rule, ctx: ListedRuleContext): void {
  for (const match of rule.matches) {
    const typed = decodeMatch(match.module, match.options, (i, message) =>
      issue(ctx, 'warning', 'bad-option-value', `${match.options[i]?.flag ?? ''}: ${message}`),
    )
    if (!typed) continue
    match.typed = typed
    noteConvenienceField(rule, typed)
  }
  const target = rule.target
  if (!target) return
  const typed = decodeTarget(target.name, target.options, (i, message) =>
    issue(ctx, 'warning', 'bad-option-value', `${target.options[i]?.flag ?? ''}: ${message}`),
  )
  if (typed) target.typed = typed
}

function unknownMatch(text: string): Match {
  const option: Option = {flag: '--text', args: [text], negated: false}
  return {module: LISTING_TEXT_MODULE, options: [option]}
}

export function buildListedRule(cols: ListedColumns, ctx: ListedRuleContext): Rule {
  const ext = parseListedExtensions(cols.rest, cols.target)
  const matches = [...ext.matches]
  for (const {text, matchIndex} of [...ext.unknown].reverse()) {
    issue(ctx, 'warning', 'unrecognised-listing-text', `unrecognised extension text '${text}' kept as an unknown match (module ${LISTING_TEXT_MODULE}), not as a comment`)
    matches.splice(matchIndex, 0, unknownMatch(text))
  }
  const rule: Rule = {
    table: ctx.table,
    chain: ctx.chain,
    index: ctx.index,
    line: ctx.line,
    raw: ctx.raw,
    op: '-A',
    matches: [...builtinMatches(cols, ctx), ...matches],
  }
  if (cols.counters) rule.counters = cols.counters
  if (cols.target !== undefined) {
    const target: Target = {name: cols.target, goto: ext.goto, options: ext.targetOptions}
    rule.target = target
  } else if (ext.goto) {
    issue(ctx, 'warning', 'goto-without-target', '[goto] on a rule with no target')
  }
  decodeAll(rule, ctx)
  return rule
}
