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

/**
 * Splits into word offsets the way tokenize.ts does; returns the word count, -1 if too many
 * words. Lines without tabs or backslashes (nearly all) are cut with indexOf, which is several
 * times faster than reading every character.
 */
function splitWords(line: string, from: number): {count: number; unterminatedQuoteAt: number} {
  if (line.indexOf('\t', from) >= 0 || line.indexOf('\\', from) >= 0) return splitWordsByCharacter(line, from)
  const n = line.length
  let count = 0
  let unterminatedQuoteAt = -1
  let nextQuote = nextIndex(line, '"', from)
  let i = from
  while (i < n) {
    if (line.charCodeAt(i) === SPACE) {
      i++
      continue
    }
    if (count === MAX_WORDS) return {count: -1, unterminatedQuoteAt}
    const wordStart = i
    let end = nextIndex(line, ' ', i)
    let kind = 0
    if (nextQuote < end) {
      // A quoted section: the closing quote ends the word, spaces inside do not.
      kind = nextQuote === wordStart ? 1 : 2
      const close = line.indexOf('"', nextQuote + 1)
      if (close < 0) {
        unterminatedQuoteAt = nextQuote
        end = n
      } else end = close + 1
      nextQuote = nextIndex(line, '"', end)
    }
    starts[count] = wordStart
    ends[count] = end
    quoting[count++] = kind
    i = end
  }
  return {count, unterminatedQuoteAt}
}

function nextIndex(line: string, what: string, from: number): number {
  const at = line.indexOf(what, from)
  return at < 0 ? line.length : at
}

/** The general case: tabs as separators, backslash escapes inside quotes. */
function splitWordsByCharacter(line: string, from: number): {count: number; unterminatedQuoteAt: number} {
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

function isBang(line: string, k: number): boolean {
  return quoting[k] === 0 && ends[k] - starts[k] === 1 && line.charCodeAt(starts[k]) === 33
}

/** What a word is to the rule walk, told apart with a few character tests (this runs per word). */
const enum Word {
  NotFlag,
  Source,
  Destination,
  ValueBuiltin, // -p -i -o
  Fragment,
  Module,
  Jump,
  Goto,
  Option,
}

const LONG_FLAGS = new Map<number, [string, Word][]>([
  [5, [['--src', Word.Source], ['--dst', Word.Destination]]],
  [6, [['--jump', Word.Jump], ['--goto', Word.Goto]]],
  [7, [['--match', Word.Module]]],
  [8, [['--source', Word.Source]]],
  [10, [['--protocol', Word.ValueBuiltin], ['--fragment', Word.Fragment]]],
  [13, [['--destination', Word.Destination]]],
  [14, [['--in-interface', Word.ValueBuiltin]]],
  [15, [['--out-interface', Word.ValueBuiltin]]],
])

const SHORT_FLAGS = new Map<number, Word>([
  [115, Word.Source], [100, Word.Destination], [112, Word.ValueBuiltin], [105, Word.ValueBuiltin], [111, Word.ValueBuiltin],
  [102, Word.Fragment], [109, Word.Module], [106, Word.Jump], [103, Word.Goto],
])

/** Flags as iptables-rule.ts `isFlag` sees them (`-x`, `--x`, unquoted), then which one. */
function wordKind(line: string, k: number): Word {
  const start = starts[k]
  const length = ends[k] - start
  if (quoting[k] !== 0 || length < 2 || line.charCodeAt(start) !== 45) return Word.NotFlag
  const c = line.charCodeAt(start + 1)
  if (c !== 45 && !((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return Word.NotFlag
  if (length === 2) return SHORT_FLAGS.get(c) ?? Word.Option
  if (c !== 45) return Word.Option
  const candidates = LONG_FLAGS.get(length)
  if (candidates) for (const [flag, kind] of candidates) if (line.startsWith(flag, start)) return kind
  return Word.Option
}

function isFlag(line: string, k: number): boolean {
  return wordKind(line, k) !== Word.NotFlag
}

/**
 * Chain and target names repeat from one line to the next (a chain's rules are contiguous;
 * DNAT, KUBE-MARK-MASQ): the same string object is returned for a repeat, which saves a copy
 * and lets later Map lookups and comparisons hit the fast identical-string path.
 */
const recentWords: string[] = new Array<string>(256).fill('')

function knownWord(line: string, k: number): string | undefined {
  if (quoting[k] !== 0) return undefined
  const start = starts[k]
  const length = ends[k] - start
  if (length === 0) return undefined
  const slot = (length * 31 + line.charCodeAt(ends[k] - 1) * 7 + line.charCodeAt(ends[k] - 2 < start ? start : ends[k] - 2)) & 255
  const known = recentWords[slot]
  if (known.length === length && line.startsWith(known, start)) return known
  const word = line.slice(start, ends[k])
  recentWords[slot] = word
  return word
}

/** The word's value, or undefined when it needs unescaping (the caller falls back). */
function simpleText(line: string, k: number): string | undefined {
  if (quoting[k] === 0) return line.slice(starts[k], ends[k])
  if (quoting[k] === 1 && ends[k] - starts[k] >= 2 && line.charCodeAt(ends[k] - 1) === QUOTE) return line.slice(starts[k] + 1, ends[k] - 1)
  return undefined
}

/**
 * Scans one rule line from `from` (the -A/-I word) into `scratch`, which is reused: copy what
 * you keep. Returns undefined for lines it cannot handle (more than MAX_WORDS words).
 */
export function scanRuleLine(line: string, from: number): RuleScan | undefined {
  const {count, unterminatedQuoteAt} = splitWords(line, from)
  if (count < 0) return undefined
  const scan = scratch
  scan.op = wordIs(line, 0, '-I') || wordIs(line, 0, '--insert') ? '-I' : '-A'
  scan.chain = scan.insertAt = scan.targetName = scan.comment = undefined
  scan.targetGoto = scan.targetHasOptions = scan.mayHaveComment = scan.ipv6 = false
  scan.unterminatedQuoteAt = unterminatedQuoteAt
  if (count < 2 || isFlag(line, 1)) return scan
  scan.chain = knownWord(line, 1) ?? simpleText(line, 1) ?? wordText(line, from, 1)
  let k = 2
  if (scan.op === '-I' && k < count && quoting[k] === 0 && /^[0-9]+$/.test(line.slice(starts[k], ends[k]))) scan.insertAt = Number(line.slice(starts[k], ends[k++]))
  walk.run(line, from, count, k)
  return scan
}

const scratch: RuleScan = {op: '-A', chain: undefined, targetGoto: false, targetHasOptions: false, mayHaveComment: false, ipv6: false, unterminatedQuoteAt: -1}

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
  private line = ''
  private from = 0
  private count = 0

  run(line: string, from: number, count: number, first: number): void {
    this.line = line
    this.from = from
    this.count = count
    this.negated = this.sawSource = this.sawDestination = false
    this.commentKnown = true
    this.owner = 'none'
    let k = first
    while (k < count) {
      const kind = wordKind(line, k)
      if (kind !== Word.NotFlag) {
        const negated = this.negated
        this.negated = false
        k = this.flag(k, kind, negated)
      } else {
        if (isBang(line, k)) this.negated = true
        k++
      }
    }
    if (!this.commentKnown) {
      scratch.comment = undefined
      scratch.mayHaveComment = true
    }
  }

  private flag(k: number, kind: Word, negated: boolean): number {
    switch (kind) {
      case Word.Source:
      case Word.Destination:
      case Word.ValueBuiltin:
        return this.builtin(k, negated, kind)
      case Word.Fragment:
        this.owner = 'none'
        return k + 1
      case Word.Module:
        return this.module(k)
      case Word.Jump:
      case Word.Goto:
        return this.target(k, kind === Word.Goto)
      default:
        return this.option(k, negated)
    }
  }

  /** A builtin criterion; one with no value is an error that adds no match and keeps the owner. */
  private builtin(k: number, negated: boolean, kind: Word): number {
    let next = k + 1
    if (next < this.count && isBang(this.line, next) && !negated) next++
    if (next >= this.count || isFlag(this.line, next)) return next
    if ((kind === Word.Source && !this.sawSource) || (kind === Word.Destination && !this.sawDestination)) {
      // ':' is ':' whether quoted or escaped, so the raw word tells as well as the unquoted one
      const at = this.line.indexOf(':', starts[next])
      if (at >= 0 && at < ends[next]) scratch.ipv6 = true
    }
    if (kind === Word.Source) this.sawSource = true
    if (kind === Word.Destination) this.sawDestination = true
    this.owner = 'none'
    return next + 1
  }

  private module(k: number): number {
    const line = this.line
    if (k + 1 >= this.count || isFlag(line, k + 1)) return k + 1
    this.owner = 'match'
    if (quoting[k + 1] !== 0) this.commentKnown = false
    else if (wordIs(line, k + 1, 'comment')) {
      if (!scratch.mayHaveComment) scratch.comment = quickComment(line, k + 2, this.count)
      scratch.mayHaveComment = true
    }
    return k + 2
  }

  private target(k: number, goto: boolean): number {
    const line = this.line
    if (k + 1 >= this.count || isFlag(line, k + 1)) return k + 1
    const name = knownWord(line, k + 1) ?? simpleText(line, k + 1) ?? wordText(line, this.from, k + 1)
    if (name === '') return k + 1
    scratch.targetName = name
    scratch.targetGoto = goto
    scratch.targetHasOptions = false
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
    if (this.owner === 'target') scratch.targetHasOptions = true
    else if (this.owner === 'none') {
      // An implicit match: it continues the last -m module, which may be `comment`.
      this.owner = 'match'
      if (wordIs(line, k, '--comment')) this.commentKnown = false
    }
    return next
  }
}

const walk = new FactWalk()

/** `--comment X` right after `-m comment`: X, when plain; undefined otherwise. */
function quickComment(line: string, k: number, count: number): string | undefined {
  if (k + 1 >= count || !wordIs(line, k, '--comment')) return undefined
  if (isFlag(line, k + 1) || isBang(line, k + 1)) return undefined
  return simpleText(line, k + 1)
}
