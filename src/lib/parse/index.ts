/**
 * kpx's iptables parser, the public entry. Self-contained (it imports only ../net and
 * ipaddr.js), so it can be published on its own.
 *
 *   const dump = parseRules(text)                      // any format, auto-detected
 *   for (const i of dump.issues) console.error(formatIssue('rules.txt', i))
 *   printIptablesSave(dump)                            // back to iptables-restore input
 *
 * Never throws on bad input: problems come back in `dump.issues`.
 */
import {parseIptablesList} from './iptables-list.js'
import {parseFragment, parseIptablesS, parseIptablesSave, type ParseOptions} from './iptables-save.js'
import type {DumpFormat, IptablesDump} from './types.js'

export type * from './types.js'
export {parseFragment, parseIptablesS, parseIptablesSave, type ParseOptions} from './iptables-save.js'
export {parseIptablesList} from './iptables-list.js'
export {parseRuleLine} from './iptables-rule.js'
export {printIptablesSave, printRule, printOption, type PrintOptions} from './serialize.js'
export {formatIssue, hasErrors} from './issues.js'
export {decodeMatch} from './typed-matches.js'
export {decodeTarget, TARGET_EXTENSIONS} from './typed-targets.js'
export type {OptionIssueReporter} from './decode-values.js'
export {inferTable} from './infer-table.js'
export {destinationOf, LazyRule, materializeAll, targetNameOf} from './lazy-rule.js'
export {chainsByName, chainsInLineOrder} from './dump-builder.js'
export type {LineVisitor, ScannedLine} from './scanned-lines.js'

/** Parses iptables-save, `iptables -S`, `iptables -L -n` listings, or bare `-A` fragments. */
export function parseRules(text: string, opts: ParseOptions = {}): IptablesDump {
  const format = opts.format ?? detectFormat(text)
  switch (format) {
    case 'iptables-save':
      return parseIptablesSave(text, opts)
    case 'iptables-S':
      return parseIptablesS(text, opts)
    case 'iptables-L':
      return parseIptablesList(text, {table: opts.table})
    case 'fragment':
      return parseFragment(text, opts)
  }
}

const TABLE_HEADER = /^\*\S/m
const S_DECLARATION = /^-[PN] \S/m
const LIST_HEADER = /^Chain \S+ \((?:policy |\d+ references)/m

/**
 * `*table` lines mean iptables-save (also restore input); `-P`/`-N` lines mean `iptables -S`;
 * `Chain X (policy ...)` / `Chain X (N references)` mean an `iptables -L` listing; anything
 * else (bare `-A` lines, `[p:b] -A`, `:CHAIN` lines from a grep) is a fragment.
 */
export function detectFormat(text: string): DumpFormat {
  // An empty file is an empty iptables-save dump (a node with no rules), not a partial one.
  if (TABLE_HEADER.test(text) || text.trim().length === 0) return 'iptables-save'
  if (S_DECLARATION.test(text)) return 'iptables-S'
  if (LIST_HEADER.test(text)) return 'iptables-L'
  return 'fragment'
}
