/**
 * Per-rule kernel counters, read from `iptables-save -c` with kpx's own parser and keyed by
 * `table/chain/index` (index 1-based, as `--line-numbers` shows it).
 */
import {parseRules} from '../../src/lib/parse/index.js'
import type {Rule} from '../../src/lib/parse/types.js'

export interface RuleCount {
  table: string
  chain: string
  index: number
  packets: number
  bytes: number
  /** The rule as iptables-save printed it, counters included. */
  raw: string
}

export type RuleCounters = Record<string, RuleCount>

export function ruleKey(rule: Pick<Rule, 'table' | 'chain' | 'index'>): string {
  return `${rule.table}/${rule.chain}/${rule.index}`
}

/** Parses `iptables-save -c` text into per-rule counters; throws if the parser reports errors. */
export function countRules(saved: string, family: 4 | 6): RuleCounters {
  const dump = parseRules(saved, {family})
  const errors = dump.issues.filter((issue) => issue.severity === 'error')
  if (errors.length > 0) {
    throw new Error(`kpx could not parse the kernel's own iptables-save -c output: ${errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`)
  }
  const counts: RuleCounters = {}
  for (const table of dump.tables) {
    for (const chain of table.chains) {
      for (const rule of chain.rules) {
        if (!rule.counters) throw new Error(`no counters on line ${rule.line}; was iptables-save run with -c?`)
        counts[ruleKey(rule)] = {table: rule.table, chain: rule.chain, index: rule.index, ...rule.counters, raw: rule.raw}
      }
    }
  }
  return counts
}

/** after − before for every rule in `after` (rules new in `after` count from zero). */
export function countersDelta(before: RuleCounters, after: RuleCounters): RuleCounters {
  const delta: RuleCounters = {}
  for (const [key, now] of Object.entries(after)) {
    const then = before[key]
    delta[key] = {...now, packets: now.packets - (then?.packets ?? 0), bytes: now.bytes - (then?.bytes ?? 0)}
  }
  return delta
}
