/**
 * Whole-dump checks that need every chain first: jumps to chains that do not exist (in a
 * complete dump, iptables-restore would refuse it), and, in strict mode, the match modules and
 * targets kpx keeps verbatim but cannot interpret.
 */
import {issueAt} from './issues.js'
import {jumpsToChain, targetIsGoto, targetNameOf} from './lazy-rule.js'
import type {IptablesDump, Rule} from './types.js'

export function validateCompleteDump(dump: IptablesDump): void {
  for (const table of dump.tables) {
    const chains = new Set(table.chains.map((c) => c.name))
    for (const chain of table.chains) {
      for (const rule of chain.rules) {
        // Lazy rules answer these from their scan, without decoding. -g always names a chain;
        // -j names a chain unless it is a target extension (checked first: it is the cheap test).
        const goto = targetIsGoto(rule)
        if (!goto && !jumpsToChain(rule)) continue
        const name = targetNameOf(rule)
        if (name !== undefined && !chains.has(name)) {
          const flag = goto ? '-g' : '-j'
          dump.issues.push(
            issueAt('error', 'missing-jump-target', rule.line, targetColumn(rule, flag, name), `${flag} ${name}: no such chain in table ${table.name}`, rule.raw),
          )
        }
      }
    }
  }
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
