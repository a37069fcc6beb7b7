/**
 * The kube-proxy facts of one rule read straight from its line, without decoding it. `kpx check`
 * asks every endpoint rule of a 10k-Service dump for its probability, its DNAT address and its
 * matches; decoding 200k rules for that costs seconds, mostly in garbage collection.
 *
 * Only lines in the plain shape kube-proxy writes are read here: `-A CHAIN`, options from a
 * short list whose values are checked exactly as the decoder checks them, at most one quoted
 * word (the comment), no escapes, no tabs, `!` only before -s/-d/-p. Anything else returns
 * undefined and the caller reads the decoded rule, so the answers are always the decoder's. A
 * value the decoder would report as malformed also returns undefined: decoding then records the
 * issue, as it did before this fast path existed.
 *
 * The answer is one shared object of offsets into the line, overwritten by the next call: read
 * it at once, keep nothing. Holding no per-rule objects is the point.
 */
import {LazyRule} from '../parse/lazy-rule.js'
import type {Rule} from '../parse/types.js'
import {facts, type LineFacts, scanner} from './line-scanner.js'

export type {LineFacts} from './line-scanner.js'

// One line at a time: the scan is synchronous, so its state lives in module variables.
let lastRule: Rule | undefined
let lastSimple = false

/**
 * The facts of a lazily parsed rule that has not been decoded, or undefined (decoded already,
 * not lazy, or not in the simple shape): then read the decoded rule. Asking twice in a row
 * about the same rule scans once.
 */
export function simpleLineFacts(rule: Rule): Readonly<LineFacts> | undefined {
  if (!(rule instanceof LazyRule) || rule.decoded) return undefined
  if (rule !== lastRule) {
    lastRule = rule
    lastSimple = scanner.scanLine(rule.raw)
  }
  return lastSimple ? facts : undefined
}

/**
 * The facts of the rule simpleLineFacts was last asked about, when `rule` is that rule; else
 * undefined, without scanning (for readers that only take a shortcut when the line is at hand).
 */
export function cachedLineFacts(rule: Rule): Readonly<LineFacts> | undefined {
  return rule === lastRule && lastSimple && !(rule as LazyRule).decoded ? facts : undefined
}

/**
 * The facts of a rule line that has no rule object (a line the parser scanned only: see
 * scanned-lines.ts), or undefined when it is not in the simple shape: then read its rule.
 * `shape`: the line's kube-proxy shape when the reader knows it (line-shapes.ts shapeAt).
 */
export function lineFactsOf(raw: string, shape = 0): Readonly<LineFacts> | undefined {
  lastRule = undefined // the shared facts are about to describe another line
  return (shape === 0 ? scanner.scanLine(raw) : scanner.scanShaped(raw, shape)) ? facts : undefined
}

/** The text of a span the facts point at (a new string each call). */
export function spanText(start: number, end: number): string {
  return facts.raw.slice(start, end)
}
