/**
 * One rule as the rules view reads it, from either of two sources with the same answers:
 * - a parsed Rule (ParsedRuleLine): the reference, and what chains already read as rules give;
 * - a line the parser scanned but made no rule of (ScannedRuleLine, over scanned-lines.ts): how
 *   `kpx check` reads a big dump. Its facts come from the line (line-facts.ts); a line whose
 *   facts the line reader cannot settle is read as a rule after all, so the answers stay the
 *   decoder's.
 * The view keeps a rule only where a finding may point at it, as a RuleHandle: a scanned line's
 * rule is made when a finding asks for it, so most rules of a big dump never become objects.
 */
import {lineFactsOf, type LineFacts} from '../kube-proxy/line-facts.js'
import {
  destinationOf,
  dnatDestinationOf,
  firstDestinationPort,
  isAffinityCheck,
  probabilitiesCertainlyInRange,
  protocolCriterionOf,
  randomProbabilityOf,
} from '../kube-proxy/rule-facts.js'
import {mayHaveModule, targetNameOf} from '../parse/lazy-rule.js'
import {SHAPE_NONE, SHAPE_PLAIN_JUMP} from '../parse/line-shapes.js'
import type {ScannedLine} from '../parse/scanned-lines.js'
import type {Chain, Negatable, Rule} from '../parse/types.js'
import {blocksLaterRules, conditionWordOutsideQuotes, endsChainTarget} from './blocking-rule.js'

/** A rule the view keeps: the parsed rule, or its chain and position (read from them when first asked for). */
export class RuleHandle {
  #rule: Rule | undefined
  readonly #chain: Chain | undefined

  constructor(
    /** 1-based position in its chain. */
    readonly index: number,
    rule: Rule | undefined,
    chain: Chain | undefined,
  ) {
    this.#rule = rule
    this.#chain = chain
  }

  get rule(): Rule {
    return (this.#rule ??= (this.#chain as Chain).rules[this.index - 1])
  }
}

/** The line's rule, to keep (made when first asked for, for a scanned line). */
export function ruleHandleOf(line: RuleLine): RuleHandle {
  return new RuleHandle(line.index, line.parsedRule, line.sourceChain)
}

/** What the view asks of each rule. One object is reused for many rules: read it at once. */
export interface RuleLine {
  /** 1-based position in its chain. */
  readonly index: number
  /** Packets of its counters, undefined without counters. */
  readonly packets: number | undefined
  readonly target: string | undefined
  /** Position in its table of the chain the rule jumps to, when the reader knows it; -1 otherwise. */
  readonly targetPosition: number
  /** The dump's text and where the comment stands in it, for a scanned line (else undefined, -1). */
  readonly text: string | undefined
  readonly commentStart: number
  readonly commentEnd: number
  comment(): string | undefined
  /** Matches every packet and never returns (unreachable-rule's blocker; see blocking-rule.ts). */
  blocksLaterRules(): boolean
  /** Has a statistic match whose probabilities the line does not show inside (0, 1]. */
  unsettledStatistic(): boolean
  isAffinityCheck(): boolean
  /** The `statistic --mode random` probability (see randomProbabilityOf). */
  randomProbability(): number | undefined
  /** The DNAT `--to-destination` as written. */
  dnatDestination(): string | undefined
  destination(): Negatable<string> | undefined
  /** The -p criterion, lower-cased. */
  protocol(): Negatable<string> | undefined
  firstDestinationPort(): number | undefined
  /** Where the rule is, for a record that keeps it (see RuleHandle, ruleHandleOf): the parsed rule, or the chain to read it from. */
  readonly parsedRule: Rule | undefined
  readonly sourceChain: Chain | undefined
}

/** A parsed rule as a RuleLine. */
export class ParsedRuleLine implements RuleLine {
  #rule!: Rule

  of(rule: Rule): this {
    this.#rule = rule
    return this
  }

  get index(): number {
    return this.#rule.index
  }

  get packets(): number | undefined {
    return this.#rule.counters?.packets
  }

  get target(): string | undefined {
    return targetNameOf(this.#rule)
  }

  get targetPosition(): number {
    return -1
  }

  get text(): string | undefined {
    return undefined
  }

  get commentStart(): number {
    return -1
  }

  get commentEnd(): number {
    return -1
  }

  comment(): string | undefined {
    return this.#rule.comment
  }

  blocksLaterRules(): boolean {
    return blocksLaterRules(this.#rule)
  }

  unsettledStatistic(): boolean {
    return mayHaveModule(this.#rule, 'statistic') && !probabilitiesCertainlyInRange(this.#rule)
  }

  isAffinityCheck(): boolean {
    return isAffinityCheck(this.#rule)
  }

  randomProbability(): number | undefined {
    return randomProbabilityOf(this.#rule)
  }

  dnatDestination(): string | undefined {
    return dnatDestinationOf(this.#rule)
  }

  destination(): Negatable<string> | undefined {
    return destinationOf(this.#rule)
  }

  protocol(): Negatable<string> | undefined {
    return protocolCriterionOf(this.#rule)
  }

  firstDestinationPort(): number | undefined {
    return firstDestinationPort(this.#rule)
  }

  get parsedRule(): Rule {
    return this.#rule
  }

  get sourceChain(): undefined {
    return undefined
  }
}

/**
 * A scanned line as a RuleLine. Its text and its line-reader facts are read once, on first
 * need; its rule is made only when a fact needs the decoder.
 */
export class ScannedRuleLine implements RuleLine {
  #line!: ScannedLine
  #chain!: Chain
  #raw: string | undefined
  /** The line reader's facts: undefined = not read yet, null = a shape it does not read. */
  #facts: LineFacts | null | undefined

  of(line: ScannedLine, chain: Chain): this {
    this.#line = line
    this.#chain = chain
    this.#raw = undefined
    this.#facts = undefined
    return this
  }

  get index(): number {
    return this.#line.index
  }

  get packets(): number | undefined {
    return this.#line.packets < 0 ? undefined : this.#line.packets
  }

  get target(): string | undefined {
    return this.#line.target
  }

  get targetPosition(): number {
    return this.#line.targetPosition
  }

  get text(): string {
    return this.#line.text
  }

  get commentStart(): number {
    return this.#line.commentStart
  }

  get commentEnd(): number {
    return this.#line.commentEnd
  }

  comment(): string | undefined {
    const line = this.#line
    return line.commentStart < 0 ? undefined : line.text.slice(line.commentStart, line.commentEnd)
  }

  /** The whole line, counters included (what a parsed rule's `raw` holds). */
  private raw(): string {
    return (this.#raw ??= this.#line.text.slice(this.#line.lineStart, this.#line.end))
  }

  /** The line reader's facts, or undefined: then ask the rule. Good until another line is read. */
  private facts(): Readonly<LineFacts> | undefined {
    // The facts object is shared: another line's scan (a fallback's) may have overwritten it.
    if (this.#facts === undefined || (this.#facts !== null && this.#facts.raw !== this.#raw)) this.#facts = lineFactsOf(this.raw(), this.#line.shape) ?? null
    return this.#facts ?? undefined
  }

  /** The rule of this line, made from the chain (the chain's rules are all made then). */
  private rule(): Rule {
    return this.#chain.rules[this.#line.index - 1]
  }

  blocksLaterRules(): boolean {
    const target = this.#line.target
    // -g lines are not scanned lines: the fast scan leaves them to the rules.
    if (target === undefined || !endsChainTarget(target, false)) return false
    // A shaped line's matches are its shape's: only a plain jump has none but its comment.
    const shape = this.#line.shape
    if (shape !== SHAPE_NONE) return shape === SHAPE_PLAIN_JUMP
    // The scan let through at most one quoted word and no backslash: the quick test settles it.
    if (conditionWordOutsideQuotes(this.raw())) return false
    const facts = this.facts()
    return facts ? !facts.conditional : blocksLaterRules(this.rule())
  }

  unsettledStatistic(): boolean {
    if (!this.#line.mentionsStatistic) return false // (mayHaveModule: no backslash got through the scan)
    const facts = this.facts()
    return facts ? facts.statistic && !(facts.probability > 0 && facts.probability <= 1) : !probabilitiesCertainlyInRange(this.rule())
  }

  isAffinityCheck(): boolean {
    const facts = this.facts()
    return facts ? facts.affinity : isAffinityCheck(this.rule())
  }

  randomProbability(): number | undefined {
    const facts = this.facts()
    if (!facts) return randomProbabilityOf(this.rule())
    return facts.statistic ? facts.probability : undefined
  }

  dnatDestination(): string | undefined {
    const facts = this.facts()
    if (!facts) return dnatDestinationOf(this.rule())
    return facts.toStart < 0 ? undefined : facts.raw.slice(facts.toStart, facts.toEnd)
  }

  destination(): Negatable<string> | undefined {
    const facts = this.facts()
    if (!facts) return destinationOf(this.rule())
    return facts.destStart < 0 ? undefined : {negated: facts.destNegated, value: facts.raw.slice(facts.destStart, facts.destEnd)}
  }

  protocol(): Negatable<string> | undefined {
    const facts = this.facts()
    if (!facts) return protocolCriterionOf(this.rule())
    return facts.protoStart < 0 ? undefined : {negated: facts.protoNegated, value: facts.raw.slice(facts.protoStart, facts.protoEnd).toLowerCase()}
  }

  firstDestinationPort(): number | undefined {
    const facts = this.facts()
    if (!facts) return firstDestinationPort(this.rule())
    return facts.dport < 0 ? undefined : facts.dport
  }

  get parsedRule(): undefined {
    return undefined
  }

  get sourceChain(): Chain {
    return this.#chain
  }
}
