/**
 * The word-by-word reading behind line-facts.ts, for lines the one-regexp shapes
 * (line-shapes.ts) do not cover: it follows the parser (iptables-rule.ts) over a short list of
 * kube-proxy's options and gives up (false) on anything else. See line-facts.ts for the contract.
 */
import {parsePortNumber} from '../net/ip.js'
import {parseMarkMask, parseNatRange, parseProbability} from '../parse/decode-values.js'
import {readKubeProxyShape, readShapeFacts} from './line-shapes.js'

export interface LineFacts {
  raw: string
  /** Some match is not a comment or a `recent --set`: the rule does not match every packet. */
  conditional: boolean
  /** The first -d value, [destStart, destEnd) of raw; destStart -1 when there is none. */
  destStart: number
  destEnd: number
  destNegated: boolean
  /** The first -p value, as written (the decoder lower-cases it). */
  protoStart: number
  protoEnd: number
  protoNegated: boolean
  /** `--dport` of the first tcp/udp/sctp match that has one; -1 for none. */
  dport: number
  /** The rule has a `statistic --mode random` match. */
  statistic: boolean
  /** Its `--probability`, NaN when the match has none. */
  probability: number
  /** A `recent --rcheck` or `--update` match: a session-affinity check. */
  affinity: boolean
  /** The -j/-g name, [targetStart, targetEnd); targetStart -1 when there is none. */
  targetStart: number
  targetEnd: number
  /** The first DNAT `--to-destination` value; toStart -1 when there is none. */
  toStart: number
  toEnd: number
}

/** The scan's answer: one object, overwritten by every scan (see simpleLineFacts). */
export const facts: LineFacts = {
  raw: '', conditional: false, destStart: -1, destEnd: -1, destNegated: false, protoStart: -1, protoEnd: -1,
  protoNegated: false, dport: -1, statistic: false, probability: Number.NaN, affinity: false,
  targetStart: -1, targetEnd: -1, toStart: -1, toEnd: -1,
}

// Kinds of the match (or target) that options currently attach to.
const NONE = 0
const BUILTIN = 1
const COMMENT = 2
const PORTS = 3
const STATISTIC = 4
const RECENT = 5
const ADDRTYPE = 6
const MARK = 7
const TARGET = 8

// Targets whose options the facts cover; UNKNOWN_TARGET until the first target option is read.
const UNKNOWN_TARGET = 0
const DNAT = 1
const REJECT = 2
const MARK_TARGET = 3
const MASQUERADE = 4
const OTHER_TARGET = 5

// recent commands (the decoder keeps the last one written).
const RECENT_NONE = 0
const RECENT_SET = 1
const RECENT_CHECK = 2
const RECENT_REMOVE = 3

/** The scan of one line; its state lives in fields (one instance, reused: the scan is synchronous). */
class LineScanner {
  private raw = ''
  private n = 0
  private pos = 0
  private quoteStart = -1
  private quoteEnd = -1
  /** The current word: [ws, we). */
  private ws = 0
  private we = 0
  private owner = NONE
  private targetKind = UNKNOWN_TARGET
  private commented = false
  private recentCommand = RECENT_NONE
  private matchDport = -1
  private statistics = 0
  private matchProbability = Number.NaN

  private resetFacts(line: string): void {
    facts.raw = line
    facts.conditional = false
    facts.destStart = facts.destEnd = facts.protoStart = facts.protoEnd = -1
    facts.destNegated = facts.protoNegated = false
    facts.dport = -1
    facts.statistic = false
    facts.probability = Number.NaN
    facts.affinity = false
    facts.targetStart = facts.targetEnd = facts.toStart = facts.toEnd = -1
    this.owner = NONE
    this.targetKind = UNKNOWN_TARGET
    this.statistics = 0
  }

  /**
   * scanLine for a line whose kube-proxy shape is known already (line-shapes.ts shapeAt): the
   * shape's values are read without testing the shapes again.
   */
  scanShaped(line: string, shape: number): boolean {
    this.resetFacts(line)
    const from = line.charCodeAt(0) === 91 /* [ */ ? line.indexOf(' ') + 1 : 0
    return readShapeFacts(line, from, shape, facts) || this.scanLine(line)
  }

  /** true when the line has the simple shape; the facts are then filled in. */
  scanLine(line: string): boolean {
    this.raw = line
    this.n = line.length
    this.resetFacts(line)
    const from = line.charCodeAt(0) === 91 /* [ */ ? line.indexOf(' ') + 1 : 0 // after `[packets:bytes]` counters
    if (readKubeProxyShape(line, from, facts)) return true // most lines: one regexp, no word scan
    if (!this.findQuotedWord() || line.indexOf('\t') >= 0) return false
    this.pos = from
    if ( !this.nextWord() || !this.wordIs('-A') || !this.nextWord() || this.isFlagWord() || this.ws === this.quoteStart) return false
    let negated = false
    while (this.nextWord()) {
      if (this.wordIs('!')) {
        if (negated) return false
        negated = true
        continue
      }
      if (this.ws === this.quoteStart || !this.isFlagWord()) return false
      if (!(negated ? this.negatedBuiltin() : this.flag())) return false
      negated = false
    }
    return !negated && this.endMatch()
  }

  /**
   * Locates the one quoted word the line may have, `"..."` without backslashes, standing alone
   * between spaces; false for any other use of quotes (then the tokenizer's rules would matter).
   */
  private findQuotedWord(): boolean {
    this.quoteStart = this.raw.indexOf('"')
    this.quoteEnd = -1
    if (this.quoteStart < 0) return true
    const close = this.raw.indexOf('"', this.quoteStart + 1)
    if (close < 0 || this.raw.indexOf('"', close + 1) >= 0 || this.raw.charCodeAt(this.quoteStart - 1) !== 32) return false
    if (close + 1 < this.n && this.raw.charCodeAt(close + 1) !== 32) return false
    const backslash = this.raw.indexOf('\\', this.quoteStart)
    if (backslash >= 0 && backslash < close) return false
    this.quoteEnd = close + 1
    return true
  }

  private nextWord(): boolean {
    while (this.pos < this.n && this.raw.charCodeAt(this.pos) === 32) this.pos++
    if (this.pos >= this.n) return false
    this.ws = this.pos
    if (this.pos === this.quoteStart) this.we = this.quoteEnd
    else {
      const space = this.raw.indexOf(' ', this.pos)
      this.we = space < 0 ? this.n : space
    }
    this.pos = this.we
    return true
  }

  private wordIs(literal: string): boolean {
    return this.we - this.ws === literal.length && this.raw.startsWith(literal, this.ws)
  }

  /** `-x` or `--xx` (what the parser takes for an option), never the quoted word. */
  private isFlagWord(): boolean {
    if (this.ws === this.quoteStart || this.we - this.ws < 2 || this.raw.charCodeAt(this.ws) !== 45) return false
    const c = this.raw.charCodeAt(this.ws + 1)
    return c === 45 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  }

  /** Moves to the value of the current option: a plain word (or the quoted one, if allowed). */
  private nextValue(quotedAllowed = false): boolean {
    if (!this.nextWord() || this.isFlagWord() || this.wordIs('!')) return false
    return quotedAllowed || this.ws !== this.quoteStart
  }

  /** `! -s`, `! -d`, `! -p`: the only negations kube-proxy writes that the facts need. */
  private negatedBuiltin(): boolean {
    const which = this.shortFlag()
    return (which === 115 /* s */ || which === 100 /* d */ || which === 112 /* p */) && this.builtin(true)
  }

  /**
   * The letter of a two-character flag (`-m` → m), 0 for any other word. The words at option
   * positions are told apart by length and letters first: a string comparison per candidate
   * would cost more than the rest of the scan.
   */
  private shortFlag(): number {
    return this.we - this.ws === 2 && this.raw.charCodeAt(this.ws) === 45 ? this.raw.charCodeAt(this.ws + 1) : 0
  }

  private flag(): boolean {
    switch (this.shortFlag()) {
      case 115: // -s
      case 100: // -d
      case 112: // -p
      case 105: // -i
      case 111: // -o
        return this.builtin(false)
      case 109: // -m
        return this.module()
      case 106: // -j
      case 103: // -g
        return this.target()
      default:
        return this.option()
    }
  }

  private builtin(negated: boolean): boolean {
    if (!this.endMatch()) return false
    const which = this.raw.charCodeAt(this.ws + 1)
    if (!this.nextValue()) return false
    this.owner = BUILTIN
    if (which === 100 /* d */ && facts.destStart < 0) {
      facts.destStart = this.ws
      facts.destEnd = this.we
      facts.destNegated = negated
    } else if (which === 112 /* p */ && facts.protoStart < 0) {
      facts.protoStart = this.ws
      facts.protoEnd = this.we
      facts.protoNegated = negated
    }
    return true
  }

  private module(): boolean {
    if (!this.endMatch() || !this.nextValue()) return false
    this.owner = this.moduleKind()
    if (this.owner === STATISTIC && ++this.statistics > 1) return false // two statistic matches: let the decoder order them
    return this.owner !== NONE
  }

  /** The match kinds the facts cover, by name length first; NONE for any other module. */
  private moduleKind(): number {
    switch (this.we - this.ws) {
      case 3:
        return this.wordIs('tcp') || this.wordIs('udp') ? PORTS : NONE
      case 4:
        return this.wordIs('sctp') ? PORTS : this.wordIs('mark') ? MARK : NONE
      case 6:
        return this.wordIs('recent') ? RECENT : NONE
      case 7:
        return this.wordIs('comment') ? COMMENT : NONE
      case 8:
        return this.wordIs('addrtype') ? ADDRTYPE : NONE
      case 9:
        return this.wordIs('statistic') ? STATISTIC : NONE
      default:
        return NONE
    }
  }

  private target(): boolean {
    if (!this.endMatch() || facts.targetStart >= 0 || !this.nextValue()) return false
    this.owner = TARGET
    facts.targetStart = this.ws
    facts.targetEnd = this.we
    return true
  }

  /** Closes the current match: what it says about conditions, ports, probability, affinity. */
  private endMatch(): boolean {
    switch (this.owner) {
      case COMMENT:
        if (!this.commented) facts.conditional = true // `-m comment` without --comment decodes to nothing
        break
      case RECENT:
        if (this.recentCommand !== RECENT_SET) facts.conditional = true
        if (this.recentCommand === RECENT_CHECK) facts.affinity = true
        break
      case PORTS:
        facts.conditional = true
        if (facts.dport < 0) facts.dport = this.matchDport
        break
      case STATISTIC:
        facts.conditional = true
        facts.statistic = true
        facts.probability = this.matchProbability
        break
      case BUILTIN:
      case ADDRTYPE:
      case MARK:
        facts.conditional = true
        break
    }
    this.commented = false
    this.recentCommand = RECENT_NONE
    this.matchDport = -1
    this.matchProbability = Number.NaN
    return true
  }

  /** `--name [value]` of the current match or target; false for anything not on the list. */
  private option(): boolean {
    switch (this.owner) {
      case COMMENT:
        if (!this.wordIs('--comment')) return false
        this.commented = true
        return this.nextValue(true)
      case PORTS:
        return this.wordIs('--dport') && this.nextValue() && (this.matchDport = parsePortNumber(this.wordText()) ?? -1) >= 0
      case STATISTIC:
        return this.statisticOption()
      case RECENT:
        return this.recentOption()
      case ADDRTYPE:
        if (this.wordIs('--limit-iface-in') || this.wordIs('--limit-iface-out')) return true
        return (this.wordIs('--dst-type') || this.wordIs('--src-type')) && this.nextValue() && this.isWordList(this.wordText())
      case MARK:
        return this.wordIs('--mark') && this.nextValue() && parseMarkMask(this.wordText()) !== undefined
      case TARGET:
        return this.targetOption()
      default:
        return false // after -s/-d/-p the parser opens an implicit match: leave that to it
    }
  }

  private statisticOption(): boolean {
    if (this.wordIs('--mode')) return this.nextValue() && this.wordIs('random')
    if (!this.wordIs('--probability') || !this.nextValue()) return false
    this.matchProbability = parseProbability(this.wordText()) ?? Number.NaN
    return !Number.isNaN(this.matchProbability)
  }

  private recentOption(): boolean {
    if (this.wordIs('--set')) this.recentCommand = RECENT_SET
    else if (this.wordIs('--rcheck') || this.wordIs('--update')) this.recentCommand = RECENT_CHECK
    else if (this.wordIs('--remove')) this.recentCommand = RECENT_REMOVE
    else if (this.wordIs('--name') || this.wordIs('--mask')) return this.nextValue()
    else if (this.wordIs('--seconds') || this.wordIs('--hitcount')) return this.nextValue() && this.isCount()
    else return this.wordIs('--rsource') || this.wordIs('--rdest') || this.wordIs('--reap') || this.wordIs('--rttl')
    return true
  }

  /** The options kube-proxy gives its targets; any other (or a chain jump with options) falls back. */
  private targetOption(): boolean {
    if (this.targetKind === UNKNOWN_TARGET) this.targetKind = this.targetKindOf(facts.targetStart, facts.targetEnd)
    switch (this.targetKind) {
      case DNAT:
        return this.dnatOption()
      case REJECT:
        return this.wordIs('--reject-with') && this.nextValue()
      case MARK_TARGET:
        return this.wordIs('--set-xmark') && this.nextValue() && parseMarkMask(this.wordText()) !== undefined
      case MASQUERADE:
        return this.wordIs('--random-fully') || this.wordIs('--random')
      default:
        return false
    }
  }

  private dnatOption(): boolean {
    if (this.wordIs('--random') || this.wordIs('--persistent')) return true
    if (!this.wordIs('--to-destination') || !this.nextValue() || parseNatRange(this.wordText()) === undefined) return false
    if (facts.toStart < 0) {
      facts.toStart = this.ws
      facts.toEnd = this.we
    }
    return true
  }

  private targetKindOf(start: number, end: number): number {
    const is = (name: string) => end - start === name.length && this.raw.startsWith(name, start)
    if (is('DNAT')) return DNAT
    if (is('REJECT')) return REJECT
    if (is('MARK')) return MARK_TARGET
    return is('MASQUERADE') ? MASQUERADE : OTHER_TARGET
  }

  private wordText(): string {
    return this.raw.slice(this.ws, this.we)
  }

  /** What parseCount accepts: 1 to 10 decimal digits. */
  private isCount(): boolean {
    if (this.we - this.ws > 10) return false
    for (let i = this.ws; i < this.we; i++) {
      const c = this.raw.charCodeAt(i)
      if (c < 48 || c > 57) return false
    }
    return true
  }

  /** What parseWordList accepts: comma-separated, no empty word. */
  private isWordList(text: string): boolean {
    return text.length > 0 && !text.startsWith(',') && !text.endsWith(',') && !text.includes(',,')
  }
}

export const scanner = new LineScanner()
