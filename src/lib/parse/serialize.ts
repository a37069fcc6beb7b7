/**
 * The model back to text. For a dump that iptables-save printed, the output is the input byte
 * for byte: same order, same comments, same counters, same quoting. -S output and fragments come
 * out as iptables-restore input (table headers added, inferred chains declared, COMMIT).
 */
import {quoteIfNeeded, saveString} from './tokenize.js'
import type {Chain, IptablesDump, Match, Option, Rule, Table} from './types.js'

export interface PrintOptions {
  /** Print `[packets:bytes]` before rules that have counters (default true: print what was read). */
  counters?: boolean
}

/**
 * Options whose value libxtables prints with `xtables_save_string` (quoted unless it is only
 * letters, digits, `_` and `-`). Everything else is printed bare and quoted only if it would not
 * read back otherwise.
 */
const SAVE_STRING_OPTIONS = new Set(['--comment', '--log-prefix', '--nflog-prefix', '--helper'])

export function printIptablesSave(dump: IptablesDump, opts: PrintOptions = {}): string {
  const out: string[] = []
  const comments = dump.comments
  let next = 0
  /** Comments keep their place: each is printed before the first item that followed it. */
  const flushBefore = (line: number | undefined) => {
    if (line === undefined) return
    while (next < comments.length && comments[next].line < line) out.push(comments[next++].text)
  }
  for (const table of dump.tables) printTable(table, out, flushBefore, opts.counters !== false)
  while (next < comments.length) out.push(comments[next++].text)
  return out.length === 0 ? '' : out.join('\n') + '\n'
}

function printTable(table: Table, out: string[], flushBefore: (line: number | undefined) => void, counters: boolean): void {
  flushBefore(table.line)
  out.push('*' + table.name)
  for (const chain of table.chains) {
    flushBefore(chain.line)
    out.push(printChainDeclaration(chain, counters))
  }
  for (const rule of rulesInPrintOrder(table)) {
    flushBefore(rule.line)
    const text = printRule(rule)
    out.push(counters && rule.counters ? `[${rule.counters.packets}:${rule.counters.bytes}] ${text}` : text)
  }
  flushBefore(table.commitLine)
  out.push('COMMIT')
}

function printChainDeclaration(chain: Chain, counters: boolean): string {
  const c = counters && chain.counters ? chain.counters : {packets: 0, bytes: 0}
  return `:${chain.name} ${chain.policy ?? '-'} [${c.packets}:${c.bytes}]`
}

/**
 * Chain by chain, as iptables-save prints. A table built with -I must replay its lines in source
 * order instead: `-I X 1 a` then `-I X 1 b` only gives [b, a] again in that order.
 */
function rulesInPrintOrder(table: Table): Rule[] {
  const rules = table.chains.flatMap((c) => c.rules)
  return rules.some((r) => r.op === '-I') ? rules.sort((a, b) => a.line - b.line) : rules
}

/** One rule as `-A CHAIN ...` (or `-I CHAIN [N] ...`), without counters. */
export function printRule(rule: Rule): string {
  let text = rule.op === '-I' ? `-I ${rule.chain}` + (rule.insertAt === undefined ? '' : ` ${rule.insertAt}`) : `-A ${rule.chain}`
  for (const match of rule.matches) text += printMatch(match)
  const target = rule.target
  if (target) {
    text += (target.goto ? ' -g ' : ' -j ') + target.name
    for (const option of target.options) text += printOption(option)
  }
  return text
}

function printMatch(match: Match): string {
  let text = match.module === null || match.implicit ? '' : ' -m ' + match.module
  for (const option of match.options) text += printOption(option)
  return text
}

export function printOption(option: Option): string {
  const quote = SAVE_STRING_OPTIONS.has(option.flag) ? saveString : quoteIfNeeded
  let text = option.negated && option.negation !== 'before-value' ? ' ! ' + option.flag : ' ' + option.flag
  if (option.negated && option.negation === 'before-value') text += ' !'
  for (const arg of option.args) text += ' ' + quote(arg)
  return text
}
