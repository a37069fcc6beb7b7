/**
 * The fast path of the lazy scan, for the lines that make up nearly all of a big dump: an
 * `-A CHAIN ... -j TARGET [--options]` line with at most one quoted word (the comment), no tabs,
 * no backslashes, no -g and no long forms of the builtin flags. For such a line the facts
 * rule-scan.ts finds are read straight from the whole dump's text, visiting only the words that
 * start with a dash (found with a two-character search, which V8 runs without set-up cost):
 * the chain is the second word, the target the word after the last `-j`, the comment the word
 * after `-m comment --comment`.
 *
 * Characters that rule the fast path out (a backslash, a tab) are found with Cursors: the next
 * occurrence in the whole text, remembered, so they cost one pass over the dump in all. Anything
 * unusual makes `scan` return false and the caller takes the full word-by-word scan
 * (rule-scan.ts); a test proves both give the same facts on every line of the corpus, the
 * examples and generated variants.
 */

const SPACE = 32
const DASH = 45
const QUOTE = 34
const BANG = 33

/** Lines longer than this go the careful way (rule-scan.ts caps words per line). */
export const MAX_FAST_LINE = 4096

/**
 * The next occurrence of `pattern` at or after a position: remembered, so a reader moving forward
 * through the text searches it once in all. Moving back starts a new search.
 */
export class Cursor {
  private at = -2
  private from = 0

  constructor(
    private text: string,
    private readonly pattern: string,
  ) {}

  /** Searches another text from now on (a scanner reused line by line). */
  retarget(text: string): void {
    this.text = text
    this.at = -2
    this.from = 0
  }

  /** The first occurrence at or after `from`, or -1 when there is none left in the text. */
  next(from: number): number {
    if (from >= this.from) {
      if (this.at !== -1 && this.at < from) this.at = this.text.indexOf(this.pattern, from)
    } else if (this.at !== -2) {
      // Back: the next one at or after the old `from` is known, so only [from, old from) is
      // searched (a search from `from` would go on to the end of the text when it is absent).
      const end = Math.min(this.text.length, this.from + this.pattern.length - 1)
      const found = this.text.slice(from, end).indexOf(this.pattern)
      if (found >= 0) this.at = from + found
    } else this.at = this.text.indexOf(this.pattern, from)
    this.from = from
    return this.at
  }

  /** Whether the pattern occurs in [from, to). */
  within(from: number, to: number): boolean {
    const at = this.next(from)
    return at >= 0 && at < to
  }
}

/**
 * Long flags that change who owns the words after them, or the target, and a --comment that
 * does not follow `-m comment`: the full scan handles them. By length, to compare without a string.
 */
const UNUSUAL_LONG_FLAGS: string[][] = []
for (const flag of ['--goto', '--jump', '--src', '--dst', '--source', '--destination', '--match', '--protocol', '--in-interface', '--out-interface', '--fragment', '--comment']) {
  ;(UNUSUAL_LONG_FLAGS[flag.charCodeAt(2)] ??= []).push(flag)
}

/** Whether the word at `word` (a --long flag) is one of UNUSUAL_LONG_FLAGS, found by its third character. */
function isUnusualLongFlag(text: string, word: number, end: number): boolean {
  const candidates = UNUSUAL_LONG_FLAGS[text.charCodeAt(word + 2)]
  if (candidates === undefined) return false
  for (const flag of candidates) {
    const after = word + flag.length
    if (text.startsWith(flag, word) && (after === end || text.charCodeAt(after) === SPACE)) return true
  }
  return false
}

/** The facts of one line, as absolute offsets into the text (-1 = none). */
export interface FastScan {
  chainStart: number
  chainEnd: number
  targetStart: number
  targetEnd: number
  targetHasOptions: boolean
  commentStart: number
  commentEnd: number
  mayHaveComment: boolean
  ipv6: boolean
  /** The first `-d VALUE`: VALUE's offsets (destinationStart -1 = none), and whether a `!` precedes the flag. */
  destinationStart: number
  destinationEnd: number
  destinationNegated: boolean
}

export class FastRuleScanner {
  readonly result: FastScan = {chainStart: 0, chainEnd: 0, targetStart: -1, targetEnd: -1, targetHasOptions: false, commentStart: -1, commentEnd: -1, mayHaveComment: false, ipv6: false, destinationStart: -1, destinationEnd: -1, destinationNegated: false}
  private readonly backslash: Cursor
  private readonly tab: Cursor
  private readonly quote: Cursor
  // Per line: the quoted word [open, close] (open -1 = none), and what the walk has seen.
  private open = -1
  private close = -1
  private sawSource = false
  private sawDestination = false

  constructor(private text: string) {
    this.backslash = new Cursor(text, '\\')
    this.tab = new Cursor(text, '\t')
    this.quote = new Cursor(text, '"')
  }

  /**
   * Scans `line` alone (offsets in `result` are then into it). For rules read out of the text's
   * order: the cursors' memory of a big text only pays when the reader moves forward through it.
   */
  scanLine(line: string, from: number): boolean {
    if (this.text !== line) {
      this.text = line
      this.backslash.retarget(line)
      this.tab.retarget(line)
      this.quote.retarget(line)
    }
    return this.scan(from, line.length, true)
  }

  /**
   * Scans the rule whose `-A` starts at `from` and whose line ends at `end` (CR excluded).
   * false: not a line for the fast path; nothing in `result` is meaningful then.
   */
  scan(from: number, end: number, ipv6Known: boolean): boolean {
    const text = this.text
    if (end - from > MAX_FAST_LINE || !text.startsWith('-A ', from)) return false
    if (this.backslash.within(from, end) || this.tab.within(from, end)) return false
    const r = this.result
    r.chainStart = from + 3
    r.chainEnd = wordEnd(text, r.chainStart, end)
    if (r.chainEnd === r.chainStart || !isPlainWordStart(text.charCodeAt(r.chainStart))) return false
    // At most one quoted word; it must be the comment's value (checked in the walk).
    this.open = this.quote.next(from)
    if (this.open >= end) this.open = -1
    this.close = -1
    if (this.open >= 0) {
      this.close = text.indexOf('"', this.open + 1)
      if (this.close < 0 || this.close >= end || this.quote.within(this.close + 1, end)) return false
      if (this.close + 1 !== end && text.charCodeAt(this.close + 1) !== SPACE) return false
    }
    r.targetStart = r.targetEnd = r.commentStart = r.commentEnd = r.destinationStart = -1
    r.targetHasOptions = r.mayHaveComment = r.ipv6 = false
    this.sawSource = this.sawDestination = ipv6Known
    return this.walkFlags(r.chainEnd, end) && (this.open < 0 || r.commentStart === this.open + 1)
  }

  /** Visits every word that starts with a dash, in order, as rule-scan.ts's walk would. */
  private walkFlags(from: number, end: number): boolean {
    const text = this.text
    let afterTarget = false
    let at = text.indexOf(' -', from)
    while (at >= 0 && at < end) {
      const word = at + 1
      if (this.open >= 0 && word > this.open && word < this.close) {
        at = text.indexOf(' -', this.close)
        continue
      }
      const second = text.charCodeAt(word + 1)
      let next = word + 2
      if (second === DASH) {
        // A long option: fine anywhere (after the target it is a target option).
        if (isUnusualLongFlag(text, word, end)) return false
        if (afterTarget) this.result.targetHasOptions = true
      } else if (isLetter(second)) {
        if (word + 2 !== end && text.charCodeAt(word + 2) !== SPACE) {
          // `-xyz`: an option to the full scan too.
          if (afterTarget) this.result.targetHasOptions = true
        } else {
          next = this.shortFlag(second, word + 3, end, afterTarget)
          if (next < 0) return false
          if (second === 106 /* j */) afterTarget = true
        }
      }
      at = text.indexOf(' -', next)
    }
    return true
  }

  /**
   * `-x VALUE` at `value`: returns where to go on searching (the space after the flag when the
   * value is not consumed here: it may be the next flag), -1 to give up on the fast path.
   * After the target only options may follow (a builtin or -m would end the target's options).
   */
  private shortFlag(flag: number, value: number, end: number, afterTarget: boolean): number {
    const text = this.text
    switch (flag) {
      case 106 /* j */:
        return this.target(value, end)
      case 103 /* g */:
        return -1
      case 115 /* s */:
      case 100 /* d */:
        if (afterTarget) return -1
        return this.address(flag === 115, value, end)
      case 109 /* m */:
        if (afterTarget) return -1
        return text.startsWith('comment', value) && wordEnd(text, value, end) === value + 7 ? this.comment(value + 7, end) : value - 1
      case 112 /* p */:
      case 105 /* i */:
      case 111 /* o */:
      case 102 /* f */:
        return afterTarget ? -1 : value - 1
      default:
        if (afterTarget) this.result.targetHasOptions = true
        return value - 1
    }
  }

  /** `-j NAME`: a plain name (a later -j wins, as in the full scan). */
  private target(value: number, end: number): number {
    const r = this.result
    const nameEnd = wordEnd(this.text, value, end)
    if (value >= end || nameEnd === value || !isPlainWordStart(this.text.charCodeAt(value))) return -1
    r.targetStart = value
    r.targetEnd = nameEnd
    r.targetHasOptions = false
    return nameEnd
  }

  /** The first `-s VALUE` / `-d VALUE`: IPv6 when VALUE has a colon. */
  private address(source: boolean, value: number, end: number): number {
    const text = this.text
    const valueEnd = wordEnd(text, value, end)
    if (value >= end || valueEnd === value || !isPlainWordStart(text.charCodeAt(value))) return -1
    const r = this.result
    if (!source && r.destinationStart < 0) {
      r.destinationStart = value
      r.destinationEnd = valueEnd
      // `! -d VALUE`: the word before the flag is a lone `!` (the line starts with `-A CHAIN`, so value - 6 is on it).
      r.destinationNegated = text.charCodeAt(value - 5) === BANG && text.charCodeAt(value - 6) === SPACE
    }
    if (source ? !this.sawSource : !this.sawDestination) {
      const colon = text.indexOf(':', value)
      if (colon >= 0 && colon < valueEnd) r.ipv6 = true
    }
    if (source) this.sawSource = true
    else this.sawDestination = true
    return valueEnd
  }

  /** `-m comment --comment VALUE` (the first; a second comment goes the careful way). */
  private comment(afterModule: number, end: number): number {
    const text = this.text
    const r = this.result
    if (r.mayHaveComment || !text.startsWith(' --comment ', afterModule)) return -1
    r.mayHaveComment = true
    const value = afterModule + 11
    if (value === this.open) {
      r.commentStart = this.open + 1
      r.commentEnd = this.close
      return this.close + 1
    }
    const valueEnd = wordEnd(text, value, end)
    if (valueEnd === value || !isPlainWordStart(text.charCodeAt(value))) return -1
    r.commentStart = value
    r.commentEnd = valueEnd
    return valueEnd
  }
}

/** The end of the word starting at `start` (the next space, or the line's end). */
export function wordEnd(text: string, start: number, end: number): number {
  const space = text.indexOf(' ', start)
  return space < 0 || space > end ? end : space
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** A word that the full scan reads as a plain value: not a flag, not `!`, not quoted. */
function isPlainWordStart(c: number): boolean {
  return c !== DASH && c !== BANG && c !== QUOTE && c !== SPACE
}
