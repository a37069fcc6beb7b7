/**
 * A cheap first look at a rule line for lazy parsing: word boundaries as offsets (no strings),
 * and the few facts the structural checks and the kube-proxy model need before any rule is
 * decoded: chain, -I position, the -j/-g target, the first comment, whether the first -s/-d
 * value is IPv6. It follows iptables-rule.ts exactly on those facts; where a line is unusual
 * (quoted flags, escaped words) it gives up on a fact (undefined) and the caller decodes.
 */
import {tokenizeInto, createTokens} from './tokenize.js'

const SPACE = 32
const TAB = 9
const QUOTE = 34
const BACKSLASH = 92

/** Word offsets of the line being scanned; reused, the scan is synchronous. */
const MAX_WORDS = 512
const starts = new Int32Array(MAX_WORDS)
const ends = new Int32Array(MAX_WORDS)
/** 0 = plain word, 1 = `"..."` without escapes, 2 = any other quoted word. */
const quoting = new Uint8Array(MAX_WORDS)
const fallbackTokens = createTokens()

export interface RuleScan {
  op: '-A' | '-I'
  /** undefined when the line has no chain name (missing-chain-name). */
  chain: string | undefined
  insertAt?: number
  /** The last well-formed -j/-g, as the full parser keeps it. */
  targetName?: string
  targetGoto: boolean
  /** Options followed the kept target (then a non-extension name is not a plain jump). */
  targetHasOptions: boolean
  /** The rule's comment when the line has the usual `-m comment --comment X` shape; undefined = unknown. */
  comment?: string
  /** false: the rule certainly has no comment; true: see `comment`, or decode. */
  mayHaveComment: boolean
  /** The first -s or -d value contains ':' (family detection). */
  ipv6: boolean
  unterminatedQuoteAt: number
}

/** Splits into word offsets the way tokenize.ts does; returns the word count, -1 if too many words. */
function splitWords(line: string, from: number): {count: number; unterminatedQuoteAt: number} {
  const n = line.length
  let count = 0
  let unterminatedQuoteAt = -1
  let i = from
  while (i < n) {
    let c = line.charCodeAt(i)
    if (c === SPACE || c === TAB) {
      i++
      continue
    }
    if (count === MAX_WORDS) return {count: -1, unterminatedQuoteAt}
    const wordStart = i
    while (i < n && c !== SPACE && c !== TAB && c !== QUOTE) c = line.charCodeAt(++i)
    let kind = 0
    if (i < n && c === QUOTE) {
      kind = i === wordStart ? 1 : 2
      const openAt = i++
      while (i < n && (c = line.charCodeAt(i)) !== QUOTE) {
        if (c === BACKSLASH && i + 1 < n) {
          kind = 2
          i++
        }
        i++
      }
      if (i >= n) unterminatedQuoteAt = openAt
      else i++ // the closing quote ends the word
    }
    starts[count] = wordStart
    ends[count] = i
    quoting[count++] = kind
  }
  return {count, unterminatedQuoteAt}
}

function wordIs(line: string, k: number, word: string): boolean {
  return quoting[k] === 0 && ends[k] - starts[k] === word.length && line.startsWith(word, starts[k])
}

/** Same rule as iptables-rule.ts `isFlag`: `-x` or `--x`, unquoted. */
function isFlag(line: string, k: number): boolean {
  if (quoting[k] !== 0 || ends[k] - starts[k] < 2 || line.charCodeAt(starts[k]) !== 45) return false
  const c = line.charCodeAt(starts[k] + 1)
  return c === 45 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

const isBang = (line: string, k: number) => wordIs(line, k, '!')

/** The word's value, or undefined when it needs unescaping (the caller falls back). */
function simpleText(line: string, k: number): string | undefined {
  if (quoting[k] === 0) return line.slice(starts[k], ends[k])
  if (quoting[k] === 1 && ends[k] - starts[k] >= 2 && line.charCodeAt(ends[k] - 1) === QUOTE) return line.slice(starts[k] + 1, ends[k] - 1)
  return undefined
}

const SOURCE_FLAGS = ['-s', '--source', '--src']
const DESTINATION_FLAGS = ['-d', '--destination', '--dst']
const VALUE_BUILTINS = ['-p', '--protocol', '-i', '--in-interface', '-o', '--out-interface']

function isOneOf(line: string, k: number, words: string[]): boolean {
  for (const w of words) if (wordIs(line, k, w)) return true
  return false
}

/** Scans one rule line from `from` (the -A/-I word). Returns undefined for lines it cannot handle. */
export function scanRuleLine(line: string, from: number): RuleScan | undefined {
  const {count, unterminatedQuoteAt} = splitWords(line, from)
  if (count < 0) return undefined
  const op = wordIs(line, 0, '-I') || wordIs(line, 0, '--insert') ? '-I' : '-A'
  const scan: RuleScan = {op, chain: undefined, targetGoto: false, targetHasOptions: false, mayHaveComment: false, ipv6: false, unterminatedQuoteAt}
  if (count < 2 || isFlag(line, 1)) return scan
  scan.chain = simpleText(line, 1) ?? wordText(line, from, 1)
  let k = 2
  if (op === '-I' && k < count && quoting[k] === 0 && /^[0-9]+$/.test(line.slice(starts[k], ends[k]))) scan.insertAt = Number(line.slice(starts[k], ends[k++]))
  new FactWalk(line, from, count, scan).run(k)
  return scan
}

/** The unescaped text of word k, through the full tokenizer (rare: quoted chain or target names). */
function wordText(line: string, from: number, k: number): string {
  return tokenizeInto(line, from, fallbackTokens).text[k]
}

type Owner = 'none' | 'match' | 'target'

/** The same walk as RuleBuilder.run in iptables-rule.ts, keeping only the facts of RuleScan. */
class FactWalk {
  private negated = false
  private owner: Owner = 'none'
  /** false once the line's shape makes the quick comment unsafe. */
  private commentKnown = true
  private sawSource = false
  private sawDestination = false

  constructor(
    private readonly line: string,
    private readonly from: number,
    private readonly count: number,
    private readonly scan: RuleScan,
  ) {}

  run(first: number): void {
    const line = this.line
    let k = first
    while (k < this.count) {
      if (isBang(line, k)) {
        this.negated = true
        k++
      } else if (isFlag(line, k)) {
        const negated = this.negated
        this.negated = false
        k = this.flag(k, negated)
      } else k++
    }
    if (!this.commentKnown) {
      this.scan.comment = undefined
      this.scan.mayHaveComment = true
    }
  }

  private flag(k: number, negated: boolean): number {
    const line = this.line
    if (isOneOf(line, k, SOURCE_FLAGS)) return this.builtin(k, negated, 's')
    if (isOneOf(line, k, DESTINATION_FLAGS)) return this.builtin(k, negated, 'd')
    if (isOneOf(line, k, VALUE_BUILTINS)) return this.builtin(k, negated, '')
    if (wordIs(line, k, '-f') || wordIs(line, k, '--fragment')) {
      this.owner = 'none'
      return k + 1
    }
    if (wordIs(line, k, '-m') || wordIs(line, k, '--match')) return this.module(k)
    if (wordIs(line, k, '-j') || wordIs(line, k, '-g') || wordIs(line, k, '--jump') || wordIs(line, k, '--goto')) return this.target(k)
    return this.option(k, negated)
  }

  /** A builtin criterion; one with no value is an error that adds no match and keeps the owner. */
  private builtin(k: number, negated: boolean, address: 's' | 'd' | ''): number {
    let next = k + 1
    if (next < this.count && isBang(this.line, next) && !negated) next++
    if (next >= this.count || isFlag(this.line, next)) return next
    if ((address === 's' && !this.sawSource) || (address === 'd' && !this.sawDestination)) {
      // ':' is ':' whether quoted or escaped, so the raw word tells as well as the unquoted one
      if (this.line.slice(starts[next], ends[next]).includes(':')) this.scan.ipv6 = true
    }
    if (address === 's') this.sawSource = true
    if (address === 'd') this.sawDestination = true
    this.owner = 'none'
    return next + 1
  }

  private module(k: number): number {
    const line = this.line
    if (k + 1 >= this.count || isFlag(line, k + 1)) return k + 1
    this.owner = 'match'
    if (quoting[k + 1] !== 0) this.commentKnown = false
    else if (wordIs(line, k + 1, 'comment')) {
      if (!this.scan.mayHaveComment) this.scan.comment = quickComment(line, k + 2, this.count)
      this.scan.mayHaveComment = true
    }
    return k + 2
  }

  private target(k: number): number {
    const line = this.line
    if (k + 1 >= this.count || isFlag(line, k + 1)) return k + 1
    const name = simpleText(line, k + 1) ?? wordText(line, this.from, k + 1)
    if (name === '') return k + 1
    this.scan.targetName = name
    this.scan.targetGoto = wordIs(line, k, '-g') || wordIs(line, k, '--goto')
    this.scan.targetHasOptions = false
    this.owner = 'target'
    return k + 2
  }

  /** `--flag args...`: the words up to the next flag or `!`. */
  private option(k: number, negated: boolean): number {
    const line = this.line
    let first = k + 1
    if (!negated && first + 1 < this.count && isBang(line, first) && !isFlag(line, first + 1)) first++
    let next = first
    while (next < this.count && !isFlag(line, next) && !isBang(line, next)) next++
    if (this.owner === 'target') this.scan.targetHasOptions = true
    else if (this.owner === 'none') {
      // An implicit match: it continues the last -m module, which may be `comment`.
      this.owner = 'match'
      if (wordIs(line, k, '--comment')) this.commentKnown = false
    }
    return next
  }
}

/** `--comment X` right after `-m comment`: X, when plain; undefined otherwise. */
function quickComment(line: string, k: number, count: number): string | undefined {
  if (k + 1 >= count || !wordIs(line, k, '--comment')) return undefined
  if (isFlag(line, k + 1) || isBang(line, k + 1)) return undefined
  return simpleText(line, k + 1)
}
