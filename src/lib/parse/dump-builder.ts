/**
 * Collects tables, chains and rules as lines are read, for every line-based format
 * (iptables-save, iptables -S, fragments). Keeps lookups in Maps next to the plain model so the
 * model itself stays JSON.
 */
import {ChainDirectory, type ChainLookup} from './chain-directory.js'
import {BUILTIN_CHAINS} from './iptables-list-tables.js'
import type {Chain, Counters, IptablesDump, ParseIssue, Rule, Table} from './types.js'

interface TableState {
  table: Table
  /** The table's chains by name (and the only way chains are added to table.chains). */
  chains: ChainDirectory
  /** Set when a -I rule reordered a chain: indexes are renumbered at the end. */
  reordered: Set<Chain>
}

/** Builds the declared chains of a reader that keeps its own kind of Chain (DeferredChain). */
export interface ChainFactory {
  newChain(table: string, name: string, line: number, policy: string | undefined, counters: Counters | undefined): Chain
}

export class DumpBuilder {
  readonly dump: IptablesDump
  private readonly tableStates = new Map<string, TableState>()

  constructor(format: IptablesDump['format']) {
    this.dump = {format, family: 4, tables: [], comments: [], partial: format !== 'iptables-save', issues: []}
  }

  get issues(): ParseIssue[] {
    return this.dump.issues
  }

  /** The table named `name`, created (as inferred unless `line` is given) on first use. */
  table(name: string, line?: number): TableState {
    let state = this.tableStates.get(name)
    if (!state) {
      const table: Table = line === undefined ? {name, chains: []} : {name, line, chains: []}
      state = {table, chains: new ChainDirectory(table.chains), reordered: new Set()}
      this.tableStates.set(name, state)
      this.dump.tables.push(table)
    }
    return state
  }

  hasTable(name: string): boolean {
    return this.tableStates.has(name)
  }

  /** The table's chains by name (empty for a table it does not have). */
  chainsOf(table: string): ChainLookup {
    return this.tableStates.get(table)?.chains ?? new Map<string, Chain>()
  }


  /**
   * Declares a chain (built by `factory` when given: a lazy reader's chains); returns false when
   * it was already declared (the first one is kept).
   */
  declareChain(state: TableState, name: string, line: number, policy: string | undefined, counters?: Counters, factory?: ChainFactory): boolean {
    const existing = state.chains.get(name)
    if (existing && !existing.inferred) return false
    if (!existing) {
      state.chains.add(factory ? factory.newChain(state.table.name, name, line, policy, counters) : newDeclaredChain(name, line, policy, counters))
      return true
    }
    existing.builtin = policy !== undefined
    if (policy !== undefined) existing.policy = policy
    if (counters) existing.counters = counters
    existing.line = line
    delete existing.inferred
    return true
  }

  /** The chain, created as `inferred` when the input never declared it. */
  chainForRule(state: TableState, name: string): {chain: Chain; declared: boolean} {
    const existing = state.chains.get(name)
    if (existing) return {chain: existing, declared: true}
    const chain: Chain = {name, builtin: BUILTIN_CHAINS.has(name), inferred: true, rules: []}
    state.chains.add(chain)
    withInferredChains.add(state.table)
    return {chain, declared: false}
  }

  addRule(state: TableState, chain: Chain, rule: Rule): void {
    // `-I CHAIN` without a position inserts at the top, like iptables.
    const position = rule.op === '-I' ? (rule.insertAt ?? 1) : undefined
    if (position !== undefined && position <= chain.rules.length) {
      chain.rules.splice(Math.max(position - 1, 0), 0, rule)
      state.reordered.add(chain)
    } else {
      chain.rules.push(rule)
    }
    rule.index = chain.rules.length
  }

  /** Renumbers chains that -I reordered; the rest were numbered as they were appended. */
  finish(): IptablesDump {
    for (const state of this.tableStates.values()) {
      for (const chain of state.reordered) chain.rules.forEach((rule, i) => (rule.index = i + 1))
      chainMaps.set(state.table, state.chains)
    }
    return this.dump
  }
}

/** Tables the parser gave a chain no line declared (a later declaration may have, after its rules). */
const withInferredChains = new WeakSet<Table>()

/**
 * Whether the table's chains are listed in the order of their declaration lines: true for a
 * table the parser built whose every chain was declared before its rules named it.
 */
export function chainsInLineOrder(table: Table): boolean {
  return chainMaps.has(table) && !withInferredChains.has(table)
}

/** The parser's own name → chain lookup of each table it built, so readers need not build another. */
const chainMaps = new WeakMap<Table, ChainLookup>()

/**
 * A table's chains by name: the parser's lookup for a table it built and nobody changed since
 * (same number of chains), else a map built now and kept. First of a name wins, as in the parser.
 */
export function chainsByName(table: Table): ChainLookup {
  const known = chainMaps.get(table)
  if (known && known.size === table.chains.length) return known
  const map = new Map<string, Chain>()
  for (const chain of table.chains) if (!map.has(chain.name)) map.set(chain.name, chain)
  chainMaps.set(table, map)
  return map
}

/**
 * A declared chain built in one literal, keys in the order JSON output has always had: one
 * object shape per kind, which matters when a dump declares 100k chains.
 */
function newDeclaredChain(name: string, line: number, policy: string | undefined, counters: Counters | undefined): Chain {
  if (policy === undefined) return counters ? {name, builtin: false, rules: [], counters, line} : {name, builtin: false, rules: [], line}
  return counters ? {name, builtin: true, rules: [], policy, counters, line} : {name, builtin: true, rules: [], policy, line}
}

/** `[123:4567]` → counters; undefined when malformed. */
export function parseCounters(text: string): Counters | undefined {
  if (text.length < 5 || text.charCodeAt(0) !== 91 || text.charCodeAt(text.length - 1) !== 93) return undefined
  const colon = text.indexOf(':')
  if (colon < 0) return undefined
  const packets = parseDecimal(text, 1, colon)
  const bytes = parseDecimal(text, colon + 1, text.length - 1)
  return packets === undefined || bytes === undefined ? undefined : {packets, bytes}
}

/** Counters are 64-bit in the kernel; beyond 2^53 precision is lost, which kpx can live with. */
function parseDecimal(text: string, from: number, to: number): number | undefined {
  if (to <= from || to - from > 20) return undefined
  let value = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return undefined
    value = value * 10 + c
  }
  return value
}
