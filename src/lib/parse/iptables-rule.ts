/**
 * One rule line (`-A CHAIN ...`, `-I CHAIN [N] ...`) → Rule: ordered matches with their options,
 * the target, typed views and convenience fields. Problems become ParseIssues with the column of
 * the offending word; the rule is kept whenever its chain is known, so nothing is lost.
 */
import type {Counters, Match, Option, ParseIssue, Rule, Target} from './types.js'
import {createTokens, type Tokens, tokenizeInto} from './tokenize.js'
import {decodeMatch, IMPLICIT_PROTOCOL_MODULES, noteConvenienceField} from './typed-matches.js'
import {decodeTarget} from './typed-targets.js'
import {issueAt} from './issues.js'

export interface RuleContext {
  table: string
  line: number
  counters?: Counters
  issues: ParseIssue[]
}

/**
 * Flags and module names repeat on every rule; keeping one copy of each saves tens of MB on a
 * kube-proxy dump. Bounded, so garbage input cannot grow it without limit.
 */
const interned = new Map<string, string>()
function intern(word: string): string {
  const known = interned.get(word)
  if (known !== undefined) return known
  if (interned.size < 4096) interned.set(word, word)
  return word
}

const BUILTIN_WITH_VALUE = new Set([
  '-s', '--source', '--src', '-d', '--destination', '--dst', '-p', '--protocol',
  '-i', '--in-interface', '-o', '--out-interface',
])

/**
 * One shared, frozen empty array for every option without arguments and every match or target
 * without options: a kube-proxy dump has hundreds of thousands of them, and `[]` costs an
 * allocation each. Frozen so that a stray push fails loudly instead of changing every rule.
 */
const NONE = Object.freeze([]) as unknown as never[]

/** Adds an option, allocating the owner's array on its first option. */
function addOption(owner: {options: Option[]}, option: Option): void {
  if (owner.options === NONE) owner.options = [option]
  else owner.options.push(option)
}

/** Reused across calls: the parser is synchronous and copies what it keeps. */
const tokens: Tokens = createTokens()

/** A word that starts an option: `-x` or `--xx`, but not `-` alone or a negative number. */
function isFlag(t: Tokens, k: number): boolean {
  if (t.quoted[k]) return false
  const s = t.text[k]
  if (s.length < 2 || s.charCodeAt(0) !== 45) return false
  const c = s.charCodeAt(1)
  return c === 45 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

function isBang(t: Tokens, k: number): boolean {
  return !t.quoted[k] && t.text[k] === '!'
}

/**
 * Parses `line` from offset `from` (after any `[p:b]` counters). Returns undefined when the line
 * has no chain name; issues are appended to ctx.issues.
 */
export function parseRuleLine(line: string, from: number, ctx: RuleContext): Rule | undefined {
  const t = tokenizeInto(line, from, tokens)
  if (t.unterminatedQuoteAt >= 0) {
    ctx.issues.push(issueAt('error', 'unbalanced-quote', ctx.line, t.unterminatedQuoteAt, 'unterminated double quote', line))
  }
  const op = t.text[0] === '-I' || t.text[0] === '--insert' ? '-I' : '-A'
  if (t.count < 2 || isFlag(t, 1)) {
    ctx.issues.push(issueAt('error', 'missing-chain-name', ctx.line, from, `${t.text[0]} needs a chain name`, line))
    return undefined
  }
  const rule: Rule = {table: ctx.table, chain: t.text[1], index: 0, line: ctx.line, raw: line, op, matches: []}
  let k = 2
  if (op === '-I' && k < t.count && /^[0-9]+$/.test(t.text[k]) && !t.quoted[k]) rule.insertAt = Number(t.text[k++])
  if (ctx.counters) rule.counters = ctx.counters
  new RuleBuilder(t, line, ctx, rule).run(k)
  return rule
}

/** Walks the words of one rule; holds the state of the walk (current match, target, negation). */
class RuleBuilder {
  private negatedAt = -1
  /** What a `--flag` attaches to: the last -m match or the target; none after a builtin. */
  private owner: {options: Option[]} | undefined
  private lastModule: string | null = null
  private protocol: string | undefined
  private readonly matchStarts: number[] = []
  private targetStart = -1

  constructor(
    private readonly t: Tokens,
    private readonly line: string,
    private readonly ctx: RuleContext,
    private readonly rule: Rule,
  ) {}

  run(from: number): void {
    const t = this.t
    let k = from
    while (k < t.count) {
      if (isBang(t, k)) {
        if (this.negatedAt >= 0) this.error('double-negation', k, 'two "!" in a row')
        this.negatedAt = k++
        continue
      }
      if (!isFlag(t, k)) {
        this.error('unexpected-word', k, `unexpected word "${t.text[k]}"`)
        k++
        continue
      }
      k = this.flag(k)
    }
    if (this.negatedAt >= 0) this.error('dangling-negation', this.negatedAt, '"!" with nothing after it')
    this.decode()
  }

  /** Handles the flag at k; returns the index after it and its arguments. */
  private flag(k: number): number {
    const word = this.t.text[k]
    if (BUILTIN_WITH_VALUE.has(word) || word === '-f' || word === '--fragment') return this.builtin(k)
    if (word === '-m' || word === '--match') return this.module(k)
    if (word === '-j' || word === '--jump' || word === '-g' || word === '--goto') return this.target(k)
    return this.option(k)
  }

  private takeNegation(): boolean {
    const negated = this.negatedAt >= 0
    this.negatedAt = -1
    return negated
  }

  private builtin(k: number): number {
    const t = this.t
    const flag = intern(t.text[k])
    const option: Option = {flag, args: NONE, negated: this.takeNegation()}
    if (option.negated) option.negation = 'before-flag'
    let next = k + 1
    if (flag !== '-f' && flag !== '--fragment') {
      if (next < t.count && isBang(t, next) && !option.negated) {
        option.negated = true
        option.negation = 'before-value'
        next++
      }
      if (next >= t.count || isFlag(t, next)) {
        this.error('missing-option-value', k, `${flag} needs a value`)
        return next
      }
      option.args = [t.text[next++]]
      if (flag === '-p' || flag === '--protocol') this.protocol = option.args[0].toLowerCase()
    }
    this.rule.matches.push({module: null, options: [option]})
    this.matchStarts.push(k)
    this.owner = undefined
    return next
  }

  private module(k: number): number {
    const t = this.t
    if (k + 1 >= t.count || isFlag(t, k + 1)) {
      this.error('missing-option-value', k, `${t.text[k]} needs a module name`)
      return k + 1
    }
    if (this.takeNegation()) this.error('bad-negation', k, '"!" cannot negate -m')
    const module = intern(t.text[k + 1])
    const match: Match = {module, options: NONE}
    this.lastModule = module
    this.owner = match
    this.rule.matches.push(match)
    this.matchStarts.push(k)
    return k + 2
  }

  private target(k: number): number {
    const t = this.t
    if (this.takeNegation()) this.error('bad-negation', k, `"!" cannot negate ${t.text[k]}`)
    if (k + 1 >= t.count || isFlag(t, k + 1) || t.text[k + 1] === '') {
      this.error('missing-target-name', k, `${t.text[k]} needs a target name`)
      return k + 1
    }
    if (this.rule.target) this.error('duplicate-target', k, 'more than one -j/-g in a rule')
    const target: Target = {name: t.text[k + 1], goto: t.text[k].startsWith('-g') || t.text[k] === '--goto', options: NONE}
    this.rule.target = target
    this.targetStart = k
    this.owner = target
    return k + 2
  }

  /** `--flag args...` belonging to the target, the current -m match, or an implicit protocol match. */
  private option(k: number): number {
    const t = this.t
    const option: Option = {flag: intern(t.text[k]), args: NONE, negated: this.takeNegation()}
    if (option.negated) option.negation = 'before-flag'
    let first = k + 1
    // `--dport ! 80`: negation before the value (older iptables, hand-written rules)
    if (!option.negated && first + 1 < t.count && isBang(t, first) && !isFlag(t, first + 1)) {
      option.negated = true
      option.negation = 'before-value'
      first++
    }
    let next = first
    while (next < t.count && !isFlag(t, next) && !isBang(t, next)) next++
    // Exact-size arrays: a 400k-rule dump holds a million of these.
    if (next > first) option.args = next === first + 1 ? [t.text[first]] : t.text.slice(first, next)
    addOption(this.ownerFor(k), option)
    return next
  }

  private ownerFor(k: number): {options: Option[]} {
    if (this.owner) return this.owner
    // Options after -p PROTO without -m, or continuing a module after a builtin criterion.
    const module = this.lastModule ?? (this.protocol && IMPLICIT_PROTOCOL_MODULES.has(this.protocol) ? this.protocol : null)
    if (module === null) this.error('unknown-option', k, `unknown option "${this.t.text[k]}" (no -m module or -p protocol before it)`)
    const match: Match = {module, implicit: true, options: NONE}
    this.rule.matches.push(match)
    this.matchStarts.push(k)
    this.owner = match
    return match
  }

  /** Fills the typed views and the rule's convenience fields. */
  private decode(): void {
    const rule = this.rule
    // Arrays grown by push have spare capacity; a 400k-rule dump makes that add up.
    rule.matches = rule.matches.length === 0 ? NONE : rule.matches.slice()
    for (const match of rule.matches) if (match.options.length > 1) match.options = match.options.slice()
    for (let m = 0; m < rule.matches.length; m++) {
      const match = rule.matches[m]
      this.decodingFrom = this.matchStarts[m]
      this.decodingOptions = match.options
      const typed = decodeMatch(match.module, match.options, this.reportOption)
      if (!typed) continue
      match.typed = typed
      noteConvenienceField(rule, typed)
    }
    const target = rule.target
    if (!target) return
    if (target.options.length > 1) target.options = target.options.slice()
    this.decodingFrom = this.targetStart
    this.decodingOptions = target.options
    const typed = decodeTarget(target.name, target.options, this.reportOption)
    if (typed) target.typed = typed
  }

  /** The match or target being decoded, for issue columns: one reporter per rule, not a closure per match. */
  private decodingFrom = 0
  private decodingOptions: Option[] = NONE
  private readonly reportOption = (i: number, message: string): void =>
    this.error('bad-option-value', this.optionColumn(this.decodingFrom, this.decodingOptions[i].flag), message)

  /** Token index of the first `flag` at or after token `from` (errors are rare: a scan is fine). */
  private optionColumn(from: number, flag: string): number {
    for (let k = from; k < this.t.count; k++) if (this.t.text[k] === flag && !this.t.quoted[k]) return k
    return from
  }

  private error(code: string, k: number, message: string): void {
    const column = k < this.t.count ? this.t.start[k] : this.line.length
    this.ctx.issues.push(issueAt('error', code, this.ctx.line, column, message, this.line))
  }
}
