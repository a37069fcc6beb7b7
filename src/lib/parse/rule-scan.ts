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
/** Word kind (see Word) of each word, filled by classifyWords. */
const kinds = new Uint8Array(MAX_WORDS)
const fallbackTokens = createTokens()
/** Where the last split line's unterminated quote opens, -1 if none (set by the split). */
let unterminatedQuoteAt = -1

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
  /**
   * Where the rule's comment is in the line, [commentStart, commentEnd), when the line has the
   * usual `-m comment --comment X` shape; commentStart -1 = unknown. Offsets, not a string: the
   * rule slices it when read, so 400k comments are not kept alive twice.
   */
  commentStart: number
  commentEnd: number
  /** false: the rule certainly has no comment; true: see commentStart, or decode. */
  mayHaveComment: boolean
  /** The first -s or -d value contains ':' (family detection). */
  ipv6: boolean
  unterminatedQuoteAt: number
}

/**
 * Splits into word offsets the way tokenize.ts does; returns the word count, -1 if too many
 * words (an unterminated quote's offset goes to `unterminatedQuoteAt`). Lines without tabs or
 * backslashes (nearly all) are cut with indexOf, several times faster than reading every character.
 */
function splitWords(line: string, from: number): number {
  if (line.indexOf('\t', from) >= 0 || line.indexOf('\\', from) >= 0) return splitWordsByCharacter(line, from)
  const n = line.length
  let count = 0
  unterminatedQuoteAt = -1
  let nextQuote = nextIndex(line, '"', from)
  let i = from
  while (i < n) {
    if (line.charCodeAt(i) === SPACE) {
      i++
      continue
    }
    if (count === MAX_WORDS) return -1
    const wordStart = i
    let end = line.indexOf(' ', i)
    if (end < 0) end = n
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
  return count
}

function nextIndex(line: string, what: string, from: number): number {
  const at = line.indexOf(what, from)
  return at < 0 ? line.length : at
}

/** The general case: tabs as separators, backslash escapes inside quotes. */
function splitWordsByCharacter(line: string, from: number): number {
  const n = line.length
  let count = 0
  unterminatedQuoteAt = -1
  let i = from
  while (i < n) {
    let c = line.charCodeAt(i)
    if (c === SPACE || c === TAB) {
      i++
      continue
    }
    if (count === MAX_WORDS) return -1
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
  return count
}

function wordIs(line: string, k: number, word: string): boolean {
  return quoting[k] === 0 && ends[k] - starts[k] === word.length && line.startsWith(word, starts[k])
}

/** What a word is to the rule walk, told apart with a few character tests (this runs per word). */
const enum Word {
  NotFlag,
  Bang, // a lone unquoted `!`; every kind after it is a flag
  Source,
  Destination,
  ValueBuiltin, // -p -i -o
  Fragment,
  Module,
  Jump,
  Goto,
  Option,
}

/** Long flags by length: `--src`, `--dst`, ... (a switch on length, then one compare, per word). */
const LONG_FLAGS: [string, Word][][] = []
for (const [flag, kind] of [
  ['--src', Word.Source], ['--dst', Word.Destination], ['--jump', Word.Jump], ['--goto', Word.Goto], ['--match', Word.Module],
  ['--source', Word.Source], ['--protocol', Word.ValueBuiltin], ['--fragment', Word.Fragment], ['--destination', Word.Destination],
  ['--in-interface', Word.ValueBuiltin], ['--out-interface', Word.ValueBuiltin],
] as [string, Word][]) (LONG_FLAGS[flag.length] ??= []).push([flag, kind])

/** `-x` flags by character code; Word.Option for the rest. */
const SHORT_FLAGS = new Uint8Array(128).fill(Word.Option)
for (const [c, kind] of [['s', Word.Source], ['d', Word.Destination], ['p', Word.ValueBuiltin], ['i', Word.ValueBuiltin], ['o', Word.ValueBuiltin],
  ['f', Word.Fragment], ['m', Word.Module], ['j', Word.Jump], ['g', Word.Goto]] as [string, Word][]) SHORT_FLAGS[c.charCodeAt(0)] = kind

/** Flags as iptables-rule.ts `isFlag` sees them (`-x`, `--x`, unquoted), then which one; `!` too. */
function wordKind(line: string, k: number): Word {
  const start = starts[k]
  const length = ends[k] - start
  if (quoting[k] !== 0) return Word.NotFlag
  const first = line.charCodeAt(start)
  if (length === 1) return first === 33 ? Word.Bang : Word.NotFlag
  if (first !== 45) return Word.NotFlag
  const c = line.charCodeAt(start + 1)
  if (c !== 45 && !((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return Word.NotFlag
  if (length === 2) return SHORT_FLAGS[c]
  if (c !== 45) return Word.Option
  const candidates = LONG_FLAGS[length]
  if (candidates === undefined) return Word.Option
  for (let i = 0; i < candidates.length; i++) if (line.startsWith(candidates[i][0], start)) return candidates[i][1]
  return Word.Option
}

/** Classifies every word once; the walk then reads `kinds`. */
function classifyWords(line: string, count: number): void {
  for (let k = 0; k < count; k++) kinds[k] = wordKind(line, k)
}

function isFlag(k: number): boolean {
  return kinds[k] > Word.Bang
}

function isBang(k: number): boolean {
  return kinds[k] === Word.Bang
}

/**
 * Chain and target names repeat from one line to the next (a chain's rules are contiguous;
 * DNAT, KUBE-MARK-MASQ): the same string object is returned for a repeat, which saves a copy
 * and lets later Map lookups and comparisons hit the fast identical-string path.
 */
const recentWords: string[] = new Array<string>(256).fill('')

function knownWord(line: string, k: number): string | undefined {
  if (quoting[k] !== 0 || ends[k] === starts[k]) return undefined
  return internWord(recentWords, line, starts[k], ends[k])
}

/**
 * text[start, end) (not empty) as a string, the same object as `recent` holds for a repeat of a
 * recent word: one copy in memory, and later lookups hit the identical-string fast path.
 */
export function internWord(recent: string[], text: string, start: number, end: number): string {
  const length = end - start
  const slot = (length * 31 + text.charCodeAt(end - 1) * 7 + text.charCodeAt(end - 2 < start ? start : end - 2)) & 255
  const known = recent[slot]
  // A cut and === beats text.startsWith(known, start) several times over for a word that is
  // not a literal (V8 takes a slow path); the cut is young garbage, the kept string is `known`.
  const word = text.slice(start, end)
  if (word === known) return known
  return (recent[slot] = word)
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
  const count = splitWords(line, from)
  if (count < 0) return undefined
  const scan = scratch
  scan.op = wordIs(line, 0, '-I') || wordIs(line, 0, '--insert') ? '-I' : '-A'
  scan.chain = scan.insertAt = scan.targetName = undefined
  scan.commentStart = -1
  scan.targetGoto = scan.targetHasOptions = scan.mayHaveComment = scan.ipv6 = false
  scan.unterminatedQuoteAt = unterminatedQuoteAt
  classifyWords(line, count)
  if (count < 2 || isFlag(1)) return scan
  scan.chain = knownWord(line, 1) ?? simpleText(line, 1) ?? wordText(line, from, 1)
  let k = 2
  if (scan.op === '-I' && k < count && quoting[k] === 0 && /^[0-9]+$/.test(line.slice(starts[k], ends[k]))) scan.insertAt = Number(line.slice(starts[k], ends[k++]))
  walk.run(line, from, count, k)
  return scan
}

const scratch: RuleScan = {op: '-A', chain: undefined, targetGoto: false, targetHasOptions: false, mayHaveComment: false, ipv6: false, unterminatedQuoteAt: -1, commentStart: -1, commentEnd: -1}

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
      const kind = kinds[k]
      if (kind > Word.Bang) {
        const negated = this.negated
        this.negated = false
        k = this.flag(k, kind, negated)
      } else {
        if (kind === Word.Bang) this.negated = true
        k++
      }
    }
    if (!this.commentKnown) {
      scratch.commentStart = -1
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
    if (next < this.count && isBang(next) && !negated) next++
    if (next >= this.count || isFlag(next)) return next
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
    if (k + 1 >= this.count || isFlag(k + 1)) return k + 1
    this.owner = 'match'
    if (quoting[k + 1] !== 0) this.commentKnown = false
    else if (wordIs(line, k + 1, 'comment')) {
      if (!scratch.mayHaveComment) quickComment(line, k + 2, this.count)
      scratch.mayHaveComment = true
    }
    return k + 2
  }

  private target(k: number, goto: boolean): number {
    const line = this.line
    if (k + 1 >= this.count || isFlag(k + 1)) return k + 1
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
    if (!negated && first + 1 < this.count && isBang(first) && !isFlag(first + 1)) first++
    let next = first
    while (next < this.count && !isFlag(next) && !isBang(next)) next++
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

/** `--comment X` right after `-m comment`: X's offsets into scratch, when plain (else left unknown). */
function quickComment(line: string, k: number, count: number): void {
  if (k + 1 >= count || !wordIs(line, k, '--comment')) return
  if (isFlag(k + 1) || isBang(k + 1)) return
  const word = k + 1
  if (quoting[word] === 0) {
    scratch.commentStart = starts[word]
    scratch.commentEnd = ends[word]
  } else if (quoting[word] === 1 && ends[word] - starts[word] >= 2 && line.charCodeAt(ends[word] - 1) === QUOTE) {
    scratch.commentStart = starts[word] + 1
    scratch.commentEnd = ends[word] - 1
  }
}
