/**
 * A chain whose rules are read from the dump's text the first time someone asks for them.
 *
 * A trace of one Service on a 10k-service dump reads a few dozen of its 120k chains; a parse
 * that builds 330k rule objects up front spends most of its time and memory on rules nobody
 * reads. While the dump is read, each rule line is still checked (its chain is declared, its
 * jump target exists, its quotes are balanced: see FastRuleReader.defer), but only the place of
 * the chain's run of lines is kept; `rules` scans them on first access.
 *
 * It behaves as a plain Chain: `rules` is an enumerable accessor (so deep equality and for..in
 * see it), JSON has the same keys in the same order, and assigning `rules` works.
 */
import type {LineVisitor} from './scanned-lines.js'
import type {Chain, Counters, Rule} from './types.js'

/** Who turns a run of lines back into rules (fast-rules.ts). */
export interface RuleSource {
  rulesOf(table: string, chain: string, first: number, firstLine: number, count: number): Rule[]
  /** Visits the run's lines without making rules; false when they must be read as rules (see scanned-lines.ts). */
  scanLines(table: string, first: number, firstLine: number, count: number, visit: LineVisitor): boolean
}

export class DeferredChain implements Chain {
  declare policy?: string
  declare counters?: Counters
  #rules: Rule[] | undefined
  /** Offset of the first deferred line, its line number, and how many consecutive lines follow. */
  #first = 0
  #firstLine = 0
  #count = 0
  // Private: bookkeeping, not part of the Chain (kept out of keys, equality and JSON).
  readonly #table: string
  readonly #source: RuleSource

  constructor(
    readonly name: string,
    public builtin: boolean,
    policy: string | undefined,
    counters: Counters | undefined,
    public line: number,
    table: string,
    source: RuleSource,
  ) {
    if (policy !== undefined) this.policy = policy
    if (counters !== undefined) this.counters = counters
    this.#table = table
    this.#source = source
  }

  get rules(): Rule[] {
    if (this.#rules === undefined) {
      this.#rules = this.#count === 0 ? [] : this.#source.rulesOf(this.#table, this.name, this.#first, this.#firstLine, this.#count)
    }
    return this.#rules
  }

  /**
   * Visits the chain's rule lines without making a rule of any (scanned-lines.ts), for readers
   * of every rule of a big dump. false, with nothing visited, when the rules were read already
   * or a line needs reading as a rule (to report it): read `rules` then.
   */
  scanLines(visit: LineVisitor): boolean {
    if (this.#rules !== undefined) return false
    return this.#count === 0 || this.#source.scanLines(this.#table, this.#first, this.#firstLine, this.#count, visit)
  }

  set rules(rules: Rule[]) {
    this.#rules = rules
  }

  /**
   * Takes the rule line at `start` (line `lineNo`) into the run; false when it cannot (the rules
   * were already read, or the line does not continue the run), and the caller adds the rule itself.
   */
  defer(start: number, lineNo: number): boolean {
    if (this.#rules !== undefined) return false
    if (this.#count === 0) {
      this.#first = start
      this.#firstLine = lineNo
    } else if (lineNo !== this.#firstLine + this.#count) return false
    this.#count++
    return true
  }

  toJSON(): Chain {
    const json: Chain = {name: this.name, builtin: this.builtin, rules: this.rules}
    if (this.policy !== undefined) json.policy = this.policy
    if (this.counters !== undefined) json.counters = this.counters
    json.line = this.line
    return json
  }
}

// Own data properties are enumerable; make the accessor so too, for deep equality and for..in.
Object.defineProperty(DeferredChain.prototype, 'rules', {...Object.getOwnPropertyDescriptor(DeferredChain.prototype, 'rules'), enumerable: true})