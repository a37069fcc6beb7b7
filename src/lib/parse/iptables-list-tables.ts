/**
 * Which table an `iptables -L` listing came from. The listing never says (`-t nat` is only on
 * the command line), so it is read off the built-in chains it shows and the targets and
 * kube-proxy chains it uses. Each clue is a vote; no votes means we cannot tell.
 */
import type {Chain} from './types.js'
import {inferTable} from './infer-table.js'

/** Built-in chains per table; a listing of one table shows exactly these. */
const BUILTINS_BY_TABLE: [string, string[]][] = [
  ['filter', ['INPUT', 'FORWARD', 'OUTPUT']],
  ['nat', ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']],
  ['mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']],
  ['raw', ['PREROUTING', 'OUTPUT']],
]

export const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'])

export interface TableGuess {
  table: string
  reason: string
}

/** A built-in chain set that fits only one table, or a nat-only target, outweighs a handful of rules. */
const STRONG_VOTE = 5
/** Targets the kernel accepts in the nat table only. */
const NAT_ONLY_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP'])

function shownBuiltins(chains: Chain[]): string[] {
  return chains.filter((c) => BUILTIN_CHAINS.has(c.name)).map((c) => c.name)
}

/**
 * A whole-table listing shows exactly its table's built-in chains: that settles it. Two chains
 * (raw's PREROUTING and OUTPUT) are as likely an excerpt of nat, as in seed 001, so at least three.
 */
function exactBuiltinTable(shown: string[]): string | undefined {
  if (shown.length < 3) return undefined
  const exact = BUILTINS_BY_TABLE.filter(([, names]) => names.length === shown.length && shown.every((n) => names.includes(n)))
  return exact.length === 1 ? exact[0][0] : undefined
}

function builtinVote(shown: string[], votes: Map<string, number>): string | undefined {
  const fits = BUILTINS_BY_TABLE.filter(([, names]) => shown.length > 0 && shown.every((n) => names.includes(n)))
  if (fits.length !== 1) return undefined
  votes.set(fits[0][0], (votes.get(fits[0][0]) ?? 0) + STRONG_VOTE)
  return `built-in chains ${shown.join(', ')}`
}

/**
 * The table with the most votes: the built-in chains shown, and each rule's chain and target
 * judged as the iptables-S/fragment parser judges them (infer-table.ts). Undefined on no votes or a tie.
 */
export function inferListTable(chains: Chain[]): TableGuess | undefined {
  const shown = shownBuiltins(chains)
  const exact = exactBuiltinTable(shown)
  if (exact) return {table: exact, reason: `its built-in chains (${shown.join(', ')})`}
  const votes = new Map<string, number>()
  const builtinReason = builtinVote(shown, votes)
  let rules = 0
  for (const chain of chains) {
    for (const rule of chain.rules) {
      const natOnly = NAT_ONLY_TARGETS.has(rule.target?.name ?? '')
      const table = natOnly ? 'nat' : inferTable(chain.name, rule.target?.name)
      if (table === undefined) continue
      votes.set(table, (votes.get(table) ?? 0) + (natOnly ? STRONG_VOTE : 1))
      rules++
    }
  }
  const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1])
  if (ranked.length === 0 || (ranked.length > 1 && ranked[0][1] === ranked[1][1])) return undefined
  const reasons = [builtinReason, rules > 0 ? `the chains and targets of ${rules} rule(s)` : undefined]
  return {table: ranked[0][0], reason: reasons.filter(Boolean).join(' and ')}
}
