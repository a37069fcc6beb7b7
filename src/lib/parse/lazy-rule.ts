/**
 * Lazy rules: a 400k-rule dump is read in a fraction of the time when each rule keeps only its
 * line and the facts of a cheap scan, and is decoded (by the same RuleBuilder as eager parsing)
 * the first time someone reads its matches, target or convenience fields. A trace touches a few
 * hundred rules; `kpx rules` materialises them all (`materializeAll`) before reporting.
 *
 * Decoding problems found late are appended to the dump's `issues`, the same objects eager
 * parsing creates (the unbalanced quote, already reported by the scan, is not repeated).
 */
import {FastRuleScanner} from './fast-scan.js'
import {parseRuleLine} from './iptables-rule.js'
import type {RuleScan} from './rule-scan.js'
import {TARGET_EXTENSIONS} from './typed-targets.js'
import type {Counters, IptablesDump, Match, Negatable, ParseIssue, Rule, Target} from './types.js'

const VERDICTS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE'])
/** Reads one line at a time for destinationPeek (synchronous, so one serves all rules). */
const peekScanner = new FastRuleScanner('')
const GOTO = 1
const HAS_OPTIONS = 2
const MAY_HAVE_COMMENT = 4
/** The flags above take the low bits of #facts; the rest hold the offset of the -A/-I word. */
const FROM_SHIFT = 3

/** What a scan found, for a LazyRule to keep until it is decoded. */
export interface LazyFacts {
  targetName: string | undefined
  /** packFlags(...) */
  flags: number
  /** packComment(...), or undefined when the scan could not tell. */
  comment: string | number | undefined
  /** packDestination(...) when the fast scan read the line; undefined otherwise. */
  destination?: number
  insertAt?: number
}

/** The facts an unscanned rule starts with (a line without counters; one object for 10^4 rules). */
const UNSCANNED_FACTS: LazyFacts = Object.freeze({targetName: undefined, flags: packFlags(false, false, true, 0), comment: undefined})

/** Scans the line of an unscanned LazyRule (fast-rules.ts FastRuleReader). */
export interface LineScanner {
  /** The facts of the rule's line read from `from` (the -A word), or its decoding. */
  factsOf(rule: LazyRule, from: number): {facts: LazyFacts} | {rule: Rule}
  /** Called once the facts are in: checks what needs them (a jump to a missing chain). */
  scanned(rule: LazyRule): void
}

/**
 * A rule's destination read from its line without the scan, where the line is plain enough to
 * be sure: packDestination's number for a `-d ADDRESS` (or `! -d ADDRESS`) before any quote or
 * backslash, -1 for a line with no destination option at all (every word starting `-d`/`--d` is
 * a port or address-type option, as in kube-proxy's NodePort rules), `null` when only the scan
 * can tell. A real option is a word after a space, so a `-d` inside a word is skipped; one that
 * could be inside a quoted string, or a second one, leaves it to the scan.
 */
export function plainDestination(raw: string, from: number): number | null {
  if (raw.includes('\t')) return null
  let found = -1
  let at = from
  for (;;) {
    const dash = raw.indexOf('-d', at)
    if (dash < 0) return found
    at = dash + 2
    const start = raw.charCodeAt(dash - 1) === 45 /* - */ ? dash - 1 : dash
    if (raw.charCodeAt(start - 1) !== 32) continue
    let end = raw.indexOf(' ', start)
    if (end < 0) end = raw.length
    if (end - start !== 2) {
      if (notDestination(raw, start, end)) continue
      return null
    }
    if (found >= 0 || quotedBefore(raw, from, start)) return null
    let valueEnd = raw.indexOf(' ', end + 1)
    if (valueEnd < 0) valueEnd = raw.length
    if (valueEnd <= end + 1 || valueEnd >= 1 << 14) return null
    for (let i = end + 1; i < valueEnd; i++) if (!isAddressChar(raw.charCodeAt(i))) return null
    found = packDestination(end + 1, valueEnd, raw.charCodeAt(start - 2) === 33 /* ! */ && raw.charCodeAt(start - 3) === 32)
    at = valueEnd
  }
}

/** Whether a quote or backslash comes between `from` and `end`: words may be quoted from there on. */
function quotedBefore(raw: string, from: number, end: number): boolean {
  for (let i = from; i < end; i++) {
    const c = raw.charCodeAt(i)
    if (c === 34 /* " */ || c === 39 /* ' */ || c === 92 /* \ */) return true
  }
  return false
}

/** Words that start like a destination option but are not one (ports, address types). */
const NOT_DESTINATION = ['--dport', '--dports', '--destination-port', '--destination-ports', '--dst-type']

/** Whether raw[start, end) is one of NOT_DESTINATION (compared in place: one line in two has `--dport`). */
function notDestination(raw: string, start: number, end: number): boolean {
  for (const word of NOT_DESTINATION) if (word.length === end - start && raw.startsWith(word, start)) return true
  return false
}

function isAddressChar(c: number): boolean {
  return (c >= 48 && c <= 58) /* 0-9 : */ || c === 46 /* . */ || c === 47 /* / */ || (c >= 97 && c <= 102) /* a-f */ || (c >= 65 && c <= 70) /* A-F */
}

/**
 * The first `-d` as the fast scan found it, in one small integer: -1 for none, else the value's
 * start and length in the line (each < 2^14: fast-scanned lines are short) and the negation bit.
 */
export function packDestination(start: number, end: number, negated: boolean): number {
  return start < 0 ? -1 : start | ((end - start) << 14) | (negated ? 1 << 28 : 0)
}

/** Target flags and the -A/-I offset in one small integer: a dump holds 400k of these. */
export function packFlags(goto: boolean, hasOptions: boolean, mayHaveComment: boolean, from: number): number {
  return (goto ? GOTO : 0) | (hasOptions ? HAS_OPTIONS : 0) | (mayHaveComment ? MAY_HAVE_COMMENT : 0) | (from << FROM_SHIFT)
}

/** The facts of a rule-scan.ts scan (whose object is reused: this copies them). */
export function factsOfScan(scan: RuleScan, from: number, raw: string): LazyFacts {
  return {
    targetName: scan.targetName,
    flags: packFlags(scan.targetGoto, scan.targetHasOptions, scan.mayHaveComment, from),
    comment: scan.commentStart < 0 ? undefined : packComment(raw, scan.commentStart, scan.commentEnd),
    insertAt: scan.insertAt,
  }
}

/** Whether a -j NAME (not -g) names a user chain, from the scan's facts alone. */
export function scannedJumpToChain(name: string, hasOptions: boolean): boolean {
  return !VERDICTS.has(name) && !TARGET_EXTENSIONS.has(name) && !hasOptions
}

export class LazyRule implements Rule {
  index = 0
  declare insertAt?: number
  declare counters?: Counters
  // Private fields stay out of Object.keys, spreads and deep equality: a LazyRule looks like
  // the plain parts of a Rule until decoded.
  readonly #issues: ParseIssue[]
  // What the scan found, kept until decoded (the scan object itself is reused).
  #targetName: string | undefined
  /** Target flags and the -A/-I offset, packed: a dump holds 400k of these. */
  #targetFlags: number
  /** The scanned comment: undefined = unknown, a number = packed offsets into raw (see packComment). */
  #comment: string | number | undefined
  /** packDestination, or undefined when the line was not fast-scanned. */
  #destination: number | undefined
  #decoded: Rule | undefined
  /** Who scans the line on first use, for a rule made unscanned (see `unscanned`). */
  #scanner: LineScanner | undefined

  constructor(
    readonly table: string,
    readonly chain: string,
    readonly line: number,
    readonly raw: string,
    readonly op: '-A' | '-I',
    facts: LazyFacts,
    issues: ParseIssue[],
    counters: Counters | undefined,
  ) {
    if (facts.insertAt !== undefined) this.insertAt = facts.insertAt
    if (counters) this.counters = counters
    this.#targetName = facts.targetName
    this.#targetFlags = facts.flags
    this.#comment = facts.comment
    this.#destination = facts.destination
    this.#issues = issues
  }

  /**
   * A rule whose line is scanned only when something about it is first asked (its facts are
   * then the scanner's, and so are the problems reported): a 10k-rule KUBE-SERVICES read by a
   * trace has one rule asked about beyond its destination, which `destinationPeek` reads from a
   * plain line without the scan. `from`: the offset of the -A word (after any counters).
   */
  static unscanned(table: string, chain: string, line: number, raw: string, from: number, issues: ParseIssue[], counters: Counters | undefined, scanner: LineScanner): LazyRule {
    const rule = new LazyRule(table, chain, line, raw, '-A', from === 0 ? UNSCANNED_FACTS : {targetName: undefined, flags: packFlags(false, false, true, from), comment: undefined}, issues, counters)
    rule.#scanner = scanner
    return rule
  }

  /** Runs the pending scan of an unscanned rule: its facts, or its decoding when the line needs the full parser. */
  #scan(): void {
    const scanner = this.#scanner
    if (scanner === undefined) return
    this.#scanner = undefined
    const found = scanner.factsOf(this, this.#targetFlags >>> FROM_SHIFT)
    if ('facts' in found) {
      const facts = found.facts
      if (facts.insertAt !== undefined) this.insertAt = facts.insertAt
      this.#targetName = facts.targetName
      this.#targetFlags = facts.flags
      this.#comment = facts.comment
      this.#destination = facts.destination
    } else {
      this.#decoded = found.rule
    }
    scanner.scanned(this)
  }

  /** The fully decoded plain rule (decoded once; `index` kept in step with this one). */
  decode(): Rule {
    this.#scan()
    if (!this.#decoded) {
      const found: ParseIssue[] = []
      const rule = parseRuleLine(this.raw, this.#targetFlags >>> FROM_SHIFT, {table: this.table, line: this.line, counters: this.counters, issues: found})
      if (!rule) throw new Error(`kpx bug: rule at line ${this.line} scanned but not parsed`)
      for (const issue of found) if (issue.code !== 'unbalanced-quote') this.#issues.push(issue)
      this.#decoded = rule
    }
    this.#decoded.index = this.index
    return this.#decoded
  }

  get decoded(): boolean {
    return this.#decoded !== undefined
  }

  /** Whether the line was scanned (false only for an `unscanned` rule nobody has asked about yet). */
  get scanned(): boolean {
    return this.#scanner === undefined
  }

  get matches(): Match[] {
    return this.decode().matches
  }

  set matches(value: Match[]) {
    this.decode().matches = value
  }

  get target(): Target | undefined {
    return this.decode().target
  }

  set target(value: Target | undefined) {
    this.decode().target = value
  }

  get comment(): string | undefined {
    this.#scan()
    if (this.#decoded) return this.#decoded.comment
    if (!(this.#targetFlags & MAY_HAVE_COMMENT)) return undefined
    const comment = this.#comment
    if (typeof comment !== 'number') return comment ?? this.decode().comment
    const start = comment & 0xffff
    return (this.#comment = this.raw.slice(start, start + (comment >>> 16)))
  }

  get protocol(): Negatable<string> | undefined {
    return this.decode().protocol
  }

  get source(): Negatable<string> | undefined {
    return this.decode().source
  }

  get destination(): Negatable<string> | undefined {
    return this.decode().destination
  }

  /**
   * The rule's destination (`-d`), without decoding: as the fast scan found it when the rule was
   * read, else by scanning the line now (a trace reads a 10k-rule KUBE-SERVICES this way); decoded
   * when the line is not a fast-scan one.
   */
  get destinationPeek(): Negatable<string> | undefined {
    if (this.#scanner !== undefined && this.#destination === undefined) {
      // Kept as the scan keeps it: a trace's scope and its walk both read it.
      const plain = plainDestination(this.raw, this.#targetFlags >>> FROM_SHIFT)
      if (plain === null) this.#scan()
      else this.#destination = plain
    }
    if (this.#decoded) return this.#decoded.destination
    const raw = this.raw
    const known = this.#destination
    if (known !== undefined) {
      if (known < 0) return undefined
      const start = known & 0x3fff
      return {negated: (known & (1 << 28)) !== 0, value: raw.slice(start, start + ((known >>> 14) & 0x3fff))}
    }
    if (!peekScanner.scanLine(raw, this.#targetFlags >>> FROM_SHIFT)) return this.destination
    const r = peekScanner.result
    return r.destinationStart < 0 ? undefined : {negated: r.destinationNegated, value: raw.slice(r.destinationStart, r.destinationEnd)}
  }

  /** The -j/-g name, without decoding. */
  get targetName(): string | undefined {
    this.#scan()
    return this.#decoded ? this.#decoded.target?.name : this.#targetName
  }

  get targetGoto(): boolean {
    this.#scan()
    return this.#decoded ? this.#decoded.target?.goto === true : (this.#targetFlags & GOTO) !== 0
  }

  /**
   * Whether the typed target is a jump to a user chain, decoding only when the scan cannot tell
   * (a name that is neither a known extension nor option-free).
   */
  get jumpsToChain(): boolean {
    const name = this.targetName // (scans an unscanned rule)
    if (name === undefined || VERDICTS.has(name)) return false
    if (this.#decoded) return this.#decoded.target?.typed?.kind === 'jump'
    return scannedJumpToChain(name, (this.#targetFlags & HAS_OPTIONS) !== 0)
  }

  toJSON(): Rule {
    return this.decode()
  }
}

/**
 * A comment's place in its line as one small integer (start in the low 16 bits, length above),
 * so an unread comment costs no string; a line too long for that keeps the string.
 */
export function packComment(raw: string, start: number, end: number): string | number {
  return start < 0x10000 && end - start < 0x4000 ? start | ((end - start) << 16) : raw.slice(start, end)
}

/** The destination (`-d`) of any rule, without decoding a lazy one when its line is plain. */
export function destinationOf(rule: Rule): Negatable<string> | undefined {
  return rule instanceof LazyRule ? rule.destinationPeek : rule.destination
}

/** Target name of any rule, without decoding a lazy one. */
export function targetNameOf(rule: Rule): string | undefined {
  return rule instanceof LazyRule ? rule.targetName : rule.target?.name
}

/** Whether the rule's typed target is a jump to a user chain, without decoding a lazy one. */
export function jumpsToChain(rule: Rule): boolean {
  return rule instanceof LazyRule ? rule.jumpsToChain : rule.target?.typed?.kind === 'jump'
}

/**
 * false when the rule certainly has no `-m WORD` match: a lazy, undecoded rule whose line does
 * not even contain WORD (and no backslash, which could spell it in quotes). Lets readers skip
 * decoding rules that cannot have, say, a `recent` match.
 */
export function mayHaveModule(rule: Rule, module: string): boolean {
  if (!(rule instanceof LazyRule) || rule.decoded) return true
  return rule.raw.includes(module) || rule.raw.includes('\\')
}

export function targetIsGoto(rule: Rule): boolean {
  return rule instanceof LazyRule ? rule.targetGoto : rule.target?.goto === true
}

/**
 * Decodes every lazy rule, appending the issues found, and replaces each with its plain Rule so
 * that everything downstream (JSON, spreads, printing) sees ordinary objects. Returns the dump.
 */
export function materializeAll(dump: IptablesDump): IptablesDump {
  for (const table of dump.tables) {
    for (const chain of table.chains) {
      const rules = chain.rules
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]
        if (rule instanceof LazyRule) rules[i] = rule.decode()
      }
    }
  }
  return dump
}
