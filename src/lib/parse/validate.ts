/**
 * Whole-dump checks that need every chain first: jumps to chains that do not exist (in a
 * complete dump, iptables-restore would refuse it), and, in strict mode, the match modules and
 * targets kpx keeps verbatim but cannot interpret.
 */
import {issueAt} from './issues.js'
import {jumpsToChain, targetIsGoto, targetNameOf} from './lazy-rule.js'
import type {IptablesDump, ParseIssue, Rule} from './types.js'

export function validateCompleteDump(dump: IptablesDump): void {
  for (const table of dump.tables) {
    const chains = new Set(table.chains.map((c) => c.name))
    for (const chain of table.chains) {
      for (const rule of chain.rules) if (!jumpTargetExists(rule, chains)) dump.issues.push(missingJumpIssue(rule, table.name))
    }
  }
}

/** The error for a rule whose -j/-g names a chain its table does not have. */
export function missingJumpIssue(rule: Rule, table: string): ParseIssue {
  const name = targetNameOf(rule) ?? ''
  const flag = targetIsGoto(rule) ? '-g' : '-j'
  return issueAt('error', 'missing-jump-target', rule.line, targetColumn(rule, flag, name), `${flag} ${name}: no such chain in table ${table}`, rule.raw)
}

/**
 * false when the rule jumps (-j to a user chain, or -g) to a chain not in `chains`. Chains are
 * only ever added, so a reader that sees true while reading a rule can skip the rule in
 * validateCompleteDump; that spares a whole-dump walk over cold rules.
 */
export function jumpTargetExists(rule: Rule, chains: {has(name: string): boolean}): boolean {
  // Lazy rules answer these from their scan, without decoding. -g always names a chain;
  // -j names a chain unless it is a target extension.
  if (!targetIsGoto(rule) && !jumpsToChain(rule)) return true
  const name = targetNameOf(rule)
  return name === undefined || chains.has(name)
}

function targetColumn(rule: Rule, flag: string, name: string): number {
  const at = rule.raw.lastIndexOf(` ${flag} ${name}`)
  return at < 0 ? 0 : at + 4
}

/** Known to kpx: decoded modules, and modules whose meaning does not affect a packet's path. */
const HARMLESS_MODULES = new Set(['comment'])

export function noteUnknownExtensions(dump: IptablesDump): void {
  for (const table of dump.tables) {
    for (const chain of table.chains) {
      for (const rule of chain.rules) {
        for (const match of rule.matches) {
          if (match.typed || match.module === null || HARMLESS_MODULES.has(match.module)) continue
          if (match.implicit && match.options.length === 0) continue
          dump.issues.push(issueAt('warning', 'unknown-module', rule.line, undefined, `match module "${match.module}" is kept verbatim but not interpreted`, rule.raw))
        }
        const target = rule.target
        if (target && !target.typed) {
          dump.issues.push(issueAt('warning', 'unknown-target', rule.line, undefined, `target ${target.name} is kept verbatim but not interpreted`, rule.raw))
        }
      }
    }
  }
}
