/**
 * `iptables [-t TABLE] -L -n [-v] [-x] [--line-numbers]` output → the shared IptablesDump model
 * (format 'iptables-L', always partial). This is what users paste into tickets and what articles
 * show. A listing carries less than iptables-save: no table name, no interfaces without -v,
 * rounded counters without -x, elided rules (`...`) in articles. Whatever could not be recovered
 * is reported as a ParseIssue; nothing is guessed silently.
 *
 * Several tables may be pasted one after another (`iptables -t nat -L -n; iptables -L -n`): a
 * built-in chain listed a second time starts a new table, and a pasted command line
 * (`# iptables -t nat -L -n`) names the table of what follows.
 */
import type {Chain, IptablesDump, ParseIssue} from './types.js'
import {type ListLayout, parseCounter, parseListColumns, parseListHeader} from './iptables-list-columns.js'
import {buildListedRule} from './iptables-list-rule.js'
import {BUILTIN_CHAINS, inferListTable} from './iptables-list-tables.js'

export interface ListParseOptions {
  /** The table the listing shows (`-t`); inferred from chains and targets when absent. */
  table?: string
}

const CHAIN_HEADER = /^Chain (\S+) \((?:policy (\S+)(?: (\S+) packets, (\S+) bytes)?|(\d+) references)\)\s*$/
const ELLIPSIS = /^\s*(\.{2,}|…+)\s*$/
const COMMAND = /(?:^|[\s#$>])(?:sudo\s+)?(?:ip6?tables(?:-legacy|-nft)?)\s+(.*)$/

/** One pasted table: the chains listed between table boundaries. */
interface Segment {
  table?: string
  chains: Chain[]
}

interface OpenChain {
  chain: Chain
  layout?: ListLayout
  /** Set when this chain name was already listed in the segment: compared once read. */
  duplicateOf?: Chain
  elided: boolean
}

class ListParser {
  readonly issues: ParseIssue[] = []
  readonly comments: {line: number; text: string}[] = []
  readonly segments: Segment[] = [{chains: []}]
  private open: OpenChain | undefined
  private approximate = {count: 0, line: 0}
  private withoutInterfaces = {count: 0, line: 0}

  private get segment(): Segment {
    return this.segments[this.segments.length - 1]
  }

  line(raw: string, n: number): void {
    const text = raw.trim()
    if (text === '') return
    const header = CHAIN_HEADER.exec(text)
    if (header) return this.chainHeader(header, n)
    const layout = parseListHeader(text)
    if (layout) {
      if (this.open) this.open.layout = layout
      return
    }
    if (ELLIPSIS.test(text)) return this.ellipsis(raw, n)
    const command = COMMAND.exec(text)
    if (command && /(^|\s)(-L|--list)(\s|$)/.test(command[1])) return this.command(command[1], raw, n)
    if (text.startsWith('#')) return this.comment(raw, n)
    if (this.open) return this.rule(raw, n, this.open)
    this.issue('warning', 'unrecognised-line', n, 'line is neither a chain header nor a rule; skipped', raw)
  }

  private issue(severity: ParseIssue['severity'], code: string, line: number, message: string, text?: string): void {
    this.issues.push(text === undefined ? {severity, code, line, message} : {severity, code, line, message, text: text.slice(0, 400)})
  }

  private newSegment(table?: string): void {
    this.closeChain()
    if (this.segment.chains.length > 0 || this.segment.table !== undefined) this.segments.push({chains: []})
    this.segment.table = table
  }

  private chainHeader(m: RegExpExecArray, n: number): void {
    const [, name, policy, packets, bytes, references] = m
    const listed = this.segment.chains.find((c) => c.name === name)
    // A built-in chain listed twice means a second table was pasted after the first.
    if (listed && BUILTIN_CHAINS.has(name)) this.newSegment()
    this.closeChain()
    const chain: Chain = {name, builtin: policy !== undefined, line: n, rules: []}
    if (policy !== undefined) chain.policy = policy
    if (references !== undefined) chain.references = Number(references)
    if (packets !== undefined && bytes !== undefined) this.chainCounters(chain, packets, bytes, n)
    const duplicateOf = this.segment.chains.find((c) => c.name === name)
    if (!duplicateOf) this.segment.chains.push(chain)
    this.open = {chain, duplicateOf, elided: false}
  }

  private chainCounters(chain: Chain, packets: string, bytes: string, n: number): void {
    const p = parseCounter(packets)
    const b = parseCounter(bytes)
    if (!p || !b) return this.issue('warning', 'bad-counters', n, `policy counters "${packets}" / "${bytes}" are not numbers`)
    chain.counters = {packets: p.value, bytes: b.value}
    if (p.approximate || b.approximate) this.noteApproximate(n)
  }

  private noteApproximate(n: number): void {
    if (this.approximate.count++ === 0) this.approximate.line = n
  }

  /** A chain listed twice in one table (articles repeat chains): keep the first, say so. */
  private closeChain(): void {
    const open = this.open
    this.open = undefined
    if (!open?.duplicateOf) return
    const same = (a: Chain, b: Chain) =>
      a.rules.length === b.rules.length && a.rules.every((r, i) => r.raw.replace(/\s+/g, ' ').trim() === b.rules[i].raw.replace(/\s+/g, ' ').trim())
    if (same(open.chain, open.duplicateOf)) {
      this.issue('info', 'repeated-chain', open.chain.line ?? 0, `chain ${open.chain.name} is listed again with the same rules; the repeat is skipped`)
    } else {
      this.issue('warning', 'conflicting-chain', open.chain.line ?? 0, `chain ${open.chain.name} is listed again with different rules; the first listing is kept`)
    }
  }

  private ellipsis(raw: string, n: number): void {
    if (this.open) this.open.elided = true
    this.issue('info', 'elided-lines', n, '`...` line skipped: rules elided from the listing are missing, and positions after it are only known with --line-numbers', raw)
  }

  private command(args: string, raw: string, n: number): void {
    const table = /(?:^|\s)(?:-t|--table)[\s=]*(\S+)/.exec(args)?.[1]
    this.comments.push({line: n, text: raw})
    this.newSegment(table ?? 'filter')
    this.issue('info', 'listing-command', n, `pasted command line: what follows is the ${table ?? 'filter'} table`, raw)
  }

  private comment(raw: string, n: number): void {
    this.comments.push({line: n, text: raw})
    // iptables-nft warns when legacy tables exist too: the listing may not be what the kernel runs.
    if (/^#\s*Warning:/.test(raw.trim())) this.issue('warning', 'iptables-warning', n, raw.trim().replace(/^#\s*/, ''), raw)
  }

  private rule(raw: string, n: number, open: OpenChain): void {
    const cols = parseListColumns(raw, open.layout)
    if (typeof cols === 'string') return this.issue('warning', 'malformed-listing-line', n, `not a rule line: ${cols}; skipped`, raw)
    const expected = open.chain.rules.length + 1
    if (cols.num !== undefined && cols.num !== expected && !open.elided) {
      this.issue('warning', 'line-number-mismatch', n, `rule number ${cols.num} where ${expected} was expected`, raw)
    }
    if (cols.approximate) this.noteApproximate(n)
    if (!cols.layout.verbose && this.withoutInterfaces.count++ === 0) this.withoutInterfaces.line = n
    const index = cols.num ?? expected
    const ctx = {table: '', chain: open.chain.name, line: n, raw, index, issues: this.issues}
    open.chain.rules.push(buildListedRule(cols, ctx))
  }

  finish(): void {
    this.closeChain()
    if (this.approximate.count > 0) {
      this.issue('info', 'approximate-counters', this.approximate.line, `${this.approximate.count} line(s) with counters printed with K/M/G/T suffixes (listing without -x): those counters are rounded to the printed precision`)
    }
    if (this.withoutInterfaces.count > 0) {
      this.issue('info', 'interfaces-not-listed', this.withoutInterfaces.line, `${this.withoutInterfaces.count} rule(s) listed without -v: in/out interfaces and counters are not shown, so -i/-o criteria cannot be recovered`)
    }
  }
}

function assignTables(segments: Segment[], opts: ListParseOptions, issues: ParseIssue[]): IptablesDump['tables'] {
  const tables: IptablesDump['tables'] = []
  for (const segment of segments) {
    if (segment.chains.length === 0) continue
    let table = opts.table ?? segment.table
    if (table === undefined) {
      const guess = inferListTable(segment.chains)
      table = guess?.table ?? 'filter'
      const line = segment.chains[0].line ?? 0
      if (guess) issues.push({severity: 'info', code: 'table-inferred', line, message: `table ${guess.table} inferred from ${guess.reason}; pass the table to override`})
      else issues.push({severity: 'warning', code: 'table-unknown', line, message: 'the listing does not say its table and nothing in it decides; assumed filter (the default of iptables -L)'})
    }
    for (const chain of segment.chains) for (const rule of chain.rules) rule.table = table
    const existing = tables.find((t) => t.name === table)
    if (existing) existing.chains.push(...segment.chains.filter((c) => !existing.chains.some((e) => e.name === c.name)))
    else tables.push({name: table, chains: segment.chains})
  }
  return tables
}

/** Chains that rules jump to but the listing does not show (usual for pasted excerpts). */
function reportUnlisted(tables: IptablesDump['tables'], issues: ParseIssue[]): void {
  for (const table of tables) {
    const listed = new Set(table.chains.map((c) => c.name))
    const missing = new Set<string>()
    for (const chain of table.chains) {
      for (const rule of chain.rules) if (rule.target?.typed?.kind === 'jump' && !listed.has(rule.target.name)) missing.add(rule.target.name)
    }
    if (missing.size === 0) continue
    const names = [...missing]
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} in all)` : '')
    issues.push({severity: 'info', code: 'unlisted-chain', line: 0, message: `${table.name}: rules jump to chains the listing does not show: ${shown}`})
  }
}

/** Parses an `iptables -L -n` listing. Never throws on bad input: problems are in `issues`. */
export function parseIptablesList(text: string, opts: ListParseOptions = {}): IptablesDump {
  const parser = new ListParser()
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((raw, i) => parser.line(raw, i + 1))
  parser.finish()
  const issues = parser.issues
  const tables = assignTables(parser.segments, opts, issues)
  reportUnlisted(tables, issues)
  issues.sort((a, b) => a.line - b.line)
  return {format: 'iptables-L', family: 4, tables, comments: parser.comments, partial: true, issues}
}
