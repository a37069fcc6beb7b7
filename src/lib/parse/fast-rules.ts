/**
 * Lazy rules straight from the dump's text for iptables-save input. Two speeds:
 * - deferred (the dump names its generator, or the caller its family, so no line need be read
 *   for IPv6 addresses): an `-A` line of a declared chain only has its place kept in its
 *   DeferredChain; the chain scans its lines when first read (rulesOf), and the problems inside
 *   those rules (bad options, an unbalanced quote, a jump to a missing chain) are reported then;
 * - immediate (`read`): the fast scan's facts (fast-scan.ts) become a LazyRule at once, without
 *   cutting any word out of the line except a target name.
 * The chain is found without a string: a chain's rules are contiguous, and iptables-save prints
 * chains in the order it declared them, so the chain of a line is nearly always the last one
 * or the next declared one, compared in place.
 *
 * Whatever this cannot place (an undeclared chain, a line the fast scan refuses) goes back to the
 * line reader's full path, which reports the problems.
 */
import {DeferredChain, type RuleSource} from './deferred-chain.js'
import {parseCounters, type ChainFactory, type DumpBuilder} from './dump-builder.js'
import {FastRuleScanner, wordEnd} from './fast-scan.js'
import {parseRuleLine} from './iptables-rule.js'
import {LineRunScanner, type LineVisitor} from './scanned-lines.js'
import type {GarbageCheck} from './garbage.js'
import {factsOfScan, LazyRule, type LineScanner, packComment, packDestination, packFlags, scannedJumpToChain, type LazyFacts} from './lazy-rule.js'
import {issueAt} from './issues.js'
import {internWord, scanRuleLine} from './rule-scan.js'
import {jumpTargetExists, missingJumpIssue} from './validate.js'
import type {Chain, Counters, Rule} from './types.js'

type TableState = ReturnType<DumpBuilder['table']>

/** How many declared chains ahead of the last one a prediction may look (empty chains are skipped). */
const LOOKAHEAD = 4
/**
 * Chains this long, read after the whole dump, get rules scanned on first use (LazyRule.unscanned):
 * KUBE-SERVICES and KUBE-NODEPORTS of a big cluster. Shorter chains are scanned whole when read.
 */
const SCAN_ON_USE_FROM = 1000
/** Stretches of declarations shorter than this (in characters) are checked line by line. */
const MIN_CLEAN_RUN = 4096
/** Searches of the chain list per table before positionOf builds a map instead. */
const MAX_SEARCHES = 64

export class FastRuleReader implements RuleSource, ChainFactory, LineScanner {
  /** Some -j named a chain not declared (yet) when its rule was read: finish must check jumps. */
  jumpsUnchecked = false
  sawIpv6 = false
  /** Set once the dump's generator line tells its address family: rule lines may then be deferred. */
  deferring = false
  private readonly scanner: FastRuleScanner
  /** A second scanner for deferred chains read later, out of the text's order. */
  private readonly laterScanner: FastRuleScanner
  private lastState: TableState | undefined
  private lastChain: Chain | undefined
  /** Index of lastChain in its table's chain list, -1 when unknown. */
  private lastPosition = -1
  private positions = new Map<Chain, number>()
  private readonly names: string[] = new Array<string>(256).fill('')
  private readonly facts: LazyFacts = {targetName: undefined, flags: 0, comment: undefined}

  constructor(
    private readonly text: string,
    private readonly builder: DumpBuilder,
    /** Checks each line this reads for binary garbage. */
    private readonly garbage: GarbageCheck,
    /** ParseOptions.scanOnUseFrom */
    private readonly scanOnUseFrom = SCAN_ON_USE_FROM,
  ) {
    this.scanner = new FastRuleScanner(text)
    this.laterScanner = new FastRuleScanner(text)
  }

  /** Reads the rule line [start, end) (counters allowed) into `state`'s table; false: take the full path. */
  readRule(state: TableState, start: number, end: number, lineNo: number): boolean {
    return (this.deferring && this.defer(state, start, end, lineNo)) || this.read(state, start, end, lineNo)
  }

  /**
   * Files the line with its chain, to be read when the chain's rules are (rulesOf): a `-A` line
   * of a declared chain that continues the chain's run of lines. Problems inside the rule (a bad
   * option, an unbalanced quote, a jump to a missing chain) are reported then, as late issues.
   * false: the line needs reading now.
   */
  private defer(state: TableState, start: number, end: number, lineNo: number): boolean {
    const text = this.text
    let from = start
    if (text.charCodeAt(start) === 91 /* [ */) {
      const close = text.indexOf(']', start)
      if (close < 0 || close + 1 >= end || text.charCodeAt(close + 1) !== 32 || !isCounters(text, start, close)) return false
      from = close + 2
    }
    if (!text.startsWith('-A ', from)) return false
    const first = text.charCodeAt(from + 3)
    if (from + 3 >= end || first === 32 || first === 45 || first === 33 || first === 34) return false
    const chain = this.chainAt(state, from + 3, end)
    return chain instanceof DeferredChain && chain.defer(start, lineNo)
  }

  /** Set once the whole dump is read: from then on, rulesOf reports jumps to missing chains itself. */
  finish(): void {
    this.finished = true
  }

  private finished = false
  private readonly jumpTargets = new RecentJumpTargets()

  /** ChainFactory: while deferring, declared chains read their rules on demand. */
  newChain(table: string, name: string, line: number, policy: string | undefined, counters: Counters | undefined): Chain {
    return new DeferredChain(name, policy !== undefined, policy, counters, line, table, this)
  }

  private lineRuns: LineRunScanner | undefined

  /** RuleSource: a deferred chain's lines without rules, once the whole dump is read (jumps are checked against it). */
  scanLines(table: string, first: number, firstLine: number, count: number, visit: LineVisitor): boolean {
    if (!this.finished) return false
    this.lineRuns ??= new LineRunScanner(this.text, this.garbage)
    return this.lineRuns.visit(this.builder.table(table).table.chains, first, firstLine, count, visit)
  }

  /** RuleSource: the rules of a deferred chain's run of `count` lines from offset `first`. */
  rulesOf(table: string, chain: string, first: number, firstLine: number, count: number): Rule[] {
    const text = this.text
    const rules: Rule[] = []
    // A long chain read once the dump is whole: each line is scanned when its rule is first
    // asked about (a trace asks about one rule of KUBE-SERVICES beyond its destination).
    const unscanned = this.finished && count >= this.scanOnUseFrom
    let pos = first
    for (let i = 0; i < count; i++) {
      let end = text.indexOf('\n', pos)
      if (end < 0) end = text.length
      const lineEnd = text.charCodeAt(end - 1) === 13 && end > pos ? end - 1 : end
      const raw = text.slice(pos, lineEnd)
      pos = end + 1
      if (this.garbage.found(raw, firstLine + i)) continue
      const rule = this.ruleAt(table, chain, raw, firstLine + i, unscanned)
      rules.push(rule)
      rule.index = rules.length
    }
    if (!unscanned) this.checkJumps(table, rules)
    return rules
  }

  /**
   * Jumps to missing chains. While the dump is still being read a chain may yet be declared:
   * then the line reader's whole-dump check runs at the end instead (and reports them once).
   */
  private checkJumps(table: string, rules: Rule[]): void {
    const targets = this.jumpTargets.of(this.builder.chainsOf(table))
    for (const rule of rules) {
      if (jumpTargetExists(rule, targets)) continue
      if (this.finished) this.builder.issues.push(missingJumpIssue(rule, table))
      else this.jumpsUnchecked = true
    }
  }

  /**
   * One deferred line as a rule: the fast scan when it can, else the full one (issues are late
   * ones then); `later`: scanned on first use instead (LineScanner below).
   */
  private ruleAt(table: string, chain: string, raw: string, lineNo: number, later: boolean): Rule {
    const from = raw.charCodeAt(0) === 91 ? raw.indexOf(']') + 2 : 0
    const counters = from === 0 ? undefined : readCounters(raw, 0, raw.length)
    if (later) return LazyRule.unscanned(table, chain, lineNo, raw, from, this.builder.issues, counters, this)
    const found = this.scanLine(table, raw, lineNo, from, counters)
    return 'facts' in found ? new LazyRule(table, chain, lineNo, raw, '-A', found.facts, this.builder.issues, counters) : found.rule
  }

  /** LineScanner: what ruleAt would have read from an unscanned rule's line. */
  factsOf(rule: LazyRule, from: number): {facts: LazyFacts} | {rule: Rule} {
    const found = this.scanLine(rule.table, rule.raw, rule.line, from, rule.counters)
    return 'facts' in found ? {facts: {...found.facts}} : found
  }

  /** LineScanner: the jump check rulesOf makes of its rules, for one rule scanned late. */
  scanned(rule: LazyRule): void {
    this.checkJumps(rule.table, [rule])
  }

  /** The facts of a deferred line (the shared `facts` object), or the rule when only the full parser reads it. */
  private scanLine(table: string, raw: string, lineNo: number, from: number, counters: Counters | undefined): {facts: LazyFacts} | {rule: Rule} {
    if (this.laterScanner.scanLine(raw, from)) {
      const scan = this.laterScanner.result
      const facts = this.facts
      facts.targetName = scan.targetStart < 0 ? undefined : internWord(this.names, raw, scan.targetStart, scan.targetEnd)
      facts.flags = packFlags(false, scan.targetHasOptions, scan.mayHaveComment, from)
      facts.comment = scan.commentStart < 0 ? undefined : packComment(raw, scan.commentStart, scan.commentEnd)
      facts.destination = packDestination(scan.destinationStart, scan.destinationEnd, scan.destinationNegated)
      return {facts}
    }
    const scan = scanRuleLine(raw, from)
    if (scan && scan.unterminatedQuoteAt >= 0) {
      this.builder.issues.push(issueAt('error', 'unbalanced-quote', lineNo, scan.unterminatedQuoteAt, 'unterminated double quote', raw))
    }
    if (scan && scan.chain !== undefined) return {facts: factsOfScan(scan, from, raw)}
    const rule = parseRuleLine(raw, from, {table, line: lineNo, counters, issues: this.builder.issues})
    if (!rule) throw new Error(`kpx bug: deferred rule at line ${lineNo} does not parse`)
    return {rule}
  }

  /** Reads the rule line [start, end) (counters allowed) into `state`'s table; false: take the full path. */
  read(state: TableState, start: number, end: number, lineNo: number): boolean {
    const text = this.text
    let from = start
    let counters: Counters | undefined
    if (text.charCodeAt(start) === 91 /* [ */) {
      counters = readCounters(text, start, end)
      if (counters === undefined) return false
      from = text.indexOf(']', start) + 2
    }
    if (!this.scanner.scan(from, end, this.sawIpv6)) return false
    const scan = this.scanner.result
    const chain = this.chainAt(state, scan.chainStart, end)
    if (chain === undefined) return false
    const raw = text.slice(start, end)
    if (this.garbage.found(raw, lineNo)) return true
    const facts = this.facts
    facts.targetName = scan.targetStart < 0 ? undefined : this.word(scan.targetStart, scan.targetEnd)
    facts.flags = packFlags(false, scan.targetHasOptions, scan.mayHaveComment, from - start)
    facts.comment = scan.commentStart < 0 ? undefined : packComment(raw, scan.commentStart - start, scan.commentEnd - start)
    facts.destination = packDestination(scan.destinationStart - start, scan.destinationEnd - start, scan.destinationNegated)
    if (scan.ipv6) this.sawIpv6 = true
    const name = facts.targetName
    if (name !== undefined && !this.jumpsUnchecked && scannedJumpToChain(name, scan.targetHasOptions) && !state.chains.has(name)) this.jumpsUnchecked = true
    const rule = new LazyRule(state.table.name, chain.name, lineNo, raw, '-A', facts, this.builder.issues, counters)
    chain.rules.push(rule)
    rule.index = chain.rules.length
    return true
  }

  /**
   * `:NAME POLICY [packets:bytes]` in its usual single-spaced form, the name cut out once and
   * `[0:0]` shared; false for anything else (and for a duplicate, which the full path reports).
   */
  declare(state: TableState, start: number, end: number, lineNo: number): boolean {
    const text = this.text
    const nameEnd = text.indexOf(' ', start + 1)
    if (nameEnd <= start + 1 || nameEnd >= end) return false
    const policyEnd = text.indexOf(' ', nameEnd + 1)
    if (policyEnd <= nameEnd + 1 || policyEnd >= end || text.charCodeAt(policyEnd + 1) !== 91 /* [ */) return false
    const extraSpace = text.indexOf(' ', policyEnd + 1)
    if (extraSpace >= 0 && extraSpace < end) return false
    const counters = policyEnd + 6 === end && text.startsWith('[0:0]', policyEnd + 1) ? ZERO_COUNTERS : parseCounters(text.slice(policyEnd + 1, end))
    if (counters === undefined) return false
    const policy = policyEnd === nameEnd + 2 && text.charCodeAt(nameEnd + 1) === DASH ? undefined : text.slice(nameEnd + 1, policyEnd)
    const name = text.slice(start + 1, nameEnd)
    // The counters were read digit by digit: only the name and the policy can hold garbage.
    if (!this.inCleanDeclarations(start) && (this.garbage.found(name, lineNo, 1) || (policy !== undefined && this.garbage.found(policy, lineNo, nameEnd + 1 - start)))) {
      return true
    }
    return this.builder.declareChain(state, name, lineNo, policy, counters, this.deferring ? this : undefined)
  }

  /** End of the last stretch of declarations checked at once, and whether it held no garbage (see inCleanDeclarations). */
  private declarationsEnd = -1
  private declarationsClean = false

  /**
   * Whether the declaration line at `start` lies in a stretch of text checked for garbage at
   * once: a table declares its 10^5 chains in one run, before its first rule, and the stretch
   * is the text up to that rule. A stretch with garbage in it is checked line by line, which
   * reports the lines. (Only declarations skip their own check: other lines in the stretch are
   * read by paths that check themselves.)
   */
  private inCleanDeclarations(start: number): boolean {
    if (start < this.declarationsEnd) return this.declarationsClean
    const text = this.text
    let end = text.indexOf('\n-', start)
    if (end < 0) end = text.length
    // (Remembered either way: a stretch with garbage is not checked again for each line.)
    this.declarationsEnd = end
    this.declarationsClean = end - start >= MIN_CLEAN_RUN && this.garbage.cleanRange(start, end)
    return this.declarationsClean
  }

  /**
   * The declared chain named by the word at `start` (ending at a space or at `lineEnd`), or
   * undefined when it is not declared. The guesses are compared in place, without cutting the word.
   */
  private chainAt(state: TableState, start: number, lineEnd: number): Chain | undefined {
    if (state !== this.lastState) {
      this.lastState = state
      this.lastChain = undefined
      this.lastPosition = -1
      this.positions = new Map()
      this.misses = 0
    }
    const last = this.lastChain
    if (last !== undefined && this.named(last, start, lineEnd)) return last
    const chains = state.table.chains
    if (this.lastPosition >= 0) {
      const stop = Math.min(chains.length, this.lastPosition + 1 + LOOKAHEAD)
      for (let i = this.lastPosition + 1; i < stop; i++) {
        if (this.named(chains[i], start, lineEnd)) return this.remember(chains[i], i)
      }
    }
    const chain = state.chains.get(this.text.slice(start, wordEnd(this.text, start, lineEnd)))
    if (chain === undefined || chain.inferred) return undefined
    return this.remember(chain, this.positionOf(chains, chain))
  }

  private remember(chain: Chain, position: number): Chain {
    this.lastChain = chain
    this.lastPosition = position
    return chain
  }

  /**
   * A chain's index in its table's list. The guesses miss at a table's few out-of-order chains:
   * a search then; a dump whose rules keep missing gets a map of every chain instead.
   */
  private positionOf(chains: Chain[], chain: Chain): number {
    if (this.positions.size === 0 && ++this.misses <= MAX_SEARCHES) return chains.indexOf(chain)
    for (let i = this.positions.size; i < chains.length; i++) this.positions.set(chains[i], i)
    return this.positions.get(chain) ?? -1
  }

  private misses = 0

  /** Whether the word at `start` is the chain's name (the word ends at a space or at `lineEnd`). */
  private named(chain: Chain, start: number, lineEnd: number): boolean {
    const name = chain.name
    const end = start + name.length
    if (end > lineEnd || (end !== lineEnd && this.text.charCodeAt(end) !== 32)) return false
    // Names of one kind differ in their hash, at the end: one character rejects most.
    // Then the whole name: cut and compared with ===, several times faster in V8 than
    // text.startsWith(name, start) for a name that is not a literal (one line in two comes here).
    return name.charCodeAt(name.length - 1) === this.text.charCodeAt(end - 1) && this.text.slice(start, end) === name
  }

  /** text[start, end) as a string, interned (see internWord in rule-scan.ts). */
  private word(start: number, end: number): string {
    return internWord(this.names, this.text, start, end)
  }
}

const DASH = 45

/**
 * A table's chains.has that remembers the last name it found: every KUBE-SEP chain's MASQ rule
 * jumps to KUBE-MARK-MASQ, 10^5 lookups of one name when every chain is read.
 */
class RecentJumpTargets {
  private chains: {has(name: string): boolean} | undefined
  private last: string | undefined

  of(chains: {has(name: string): boolean}): this {
    if (chains !== this.chains) {
      this.chains = chains
      this.last = undefined
    }
    return this
  }

  has(name: string): boolean {
    if (name === this.last) return true
    if (!this.chains?.has(name)) return false
    this.last = name
    return true
  }
}

/** `[digits:digits]` between `start` and `close` (the `]`), without building anything. */
function isCounters(text: string, start: number, close: number): boolean {
  let colon = -1
  for (let i = start + 1; i < close; i++) {
    const c = text.charCodeAt(i)
    if (c === 58 && colon < 0 && i > start + 1) colon = i
    else if (c < 48 || c > 57) return false
  }
  return colon > 0 && colon < close - 1 && colon - start - 1 <= 20 && close - colon - 1 <= 20
}
/** Most chains of a dump without traffic: one frozen object serves them all. */
const ZERO_COUNTERS: Counters = Object.freeze({packets: 0, bytes: 0})

/** `[packets:bytes]` starting at `start` and followed by a space before `end`, or undefined (malformed). */
function readCounters(text: string, start: number, end: number): Counters | undefined {
  const close = text.indexOf(']', start)
  if (close < 0 || close + 1 >= end || text.charCodeAt(close + 1) !== 32) return undefined
  return parseCounters(text.slice(start, close + 1))
}
