/**
 * A deferred chain's rule lines read without making rules, for readers of every rule of a big
 * dump (`kpx check` reads all 3×10^5 rules of a 10k-Service dump: as rule objects they cost
 * seconds, mostly in allocation and garbage collection).
 *
 * The lines are checked exactly as reading the chain's `rules` would check them, first, all of
 * them: no binary garbage, every line one the fast scan reads whole (fast-scan.ts), counters
 * well formed, every jump to a chain landing on a declared one. Only then are they visited, one
 * reused ScannedLine each. If any line fails, nothing is visited and the caller reads `rules`,
 * which reports the problem as it always did: this is a faster way to the same facts, never a
 * laxer one.
 */
import type {Chain} from './types.js'
import type {ChainLookup} from './chain-directory.js'
import type {GarbageCheck} from './garbage.js'
import {FastRuleScanner} from './fast-scan.js'
import {scannedJumpToChain} from './lazy-rule.js'
import {internWord} from './rule-scan.js'

/** One rule line as the fast scan read it. Reused for every line: read it at once, keep nothing. */
export interface ScannedLine {
  /** The dump's whole text: every offset below is into it. */
  readonly text: string
  /** 1-based position of the rule in its chain, and how many rules the chain has. */
  index: number
  count: number
  /** 1-based line in the dump. */
  line: number
  /** Where the line starts (its counters, if any), where `-A` starts, and where it ends (CR excluded). */
  lineStart: number
  start: number
  end: number
  /** The packet count of the line's `[packets:bytes]`, -1 when it has none. */
  packets: number
  /** The -j name, [targetStart, targetEnd); targetStart -1 when the rule has no target. */
  targetStart: number
  targetEnd: number
  /** The target name (one string per distinct name, shared: compare with ===). undefined for none. */
  target: string | undefined
  /** The chain of the table the rule jumps to (undefined: no target, or an extension target). */
  targetChain: Chain | undefined
  /** The -j target has options after it (`-j DNAT --to-destination …`). */
  targetHasOptions: boolean
  /** The first `-m comment --comment` value, quotes excluded; commentStart -1 when none. */
  commentStart: number
  commentEnd: number
}

export type LineVisitor = (line: ScannedLine) => void

/** Per-line facts of the run being checked, kept until every line has passed. */
class LineFacts {
  lineStarts = new Int32Array(64)
  starts = new Int32Array(64)
  ends = new Int32Array(64)
  targetStarts = new Int32Array(64)
  targetEnds = new Int32Array(64)
  commentStarts = new Int32Array(64)
  commentEnds = new Int32Array(64)
  options = new Uint8Array(64)
  packets = new Float64Array(64)
  targets: (string | undefined)[] = []
  chains: (Chain | undefined)[] = []

  ensure(count: number): void {
    if (count <= this.starts.length) return
    const size = Math.max(count, this.starts.length * 2)
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(size)
      next.set(old)
      return next
    }
    this.lineStarts = grow(this.lineStarts, (n) => new Int32Array(n))
    this.starts = grow(this.starts, (n) => new Int32Array(n))
    this.ends = grow(this.ends, (n) => new Int32Array(n))
    this.targetStarts = grow(this.targetStarts, (n) => new Int32Array(n))
    this.targetEnds = grow(this.targetEnds, (n) => new Int32Array(n))
    this.commentStarts = grow(this.commentStarts, (n) => new Int32Array(n))
    this.commentEnds = grow(this.commentEnds, (n) => new Int32Array(n))
    this.options = grow(this.options, (n) => new Uint8Array(n))
    this.packets = grow(this.packets, (n) => new Float64Array(n))
  }
}

export class LineRunScanner {
  private readonly scanner: FastRuleScanner
  private readonly facts = new LineFacts()
  private readonly names: string[] = new Array<string>(256).fill('')
  private readonly line: ScannedLine
  /** The last target name found to be a chain, and the chain: most SEP chains jump to KUBE-MARK-MASQ. */
  private lastName = ''
  private lastChain: Chain | undefined
  private lastLookup: ChainLookup | undefined

  constructor(
    private readonly text: string,
    private readonly garbage: GarbageCheck,
  ) {
    this.scanner = new FastRuleScanner(text)
    this.line = {text, index: 0, count: 0, line: 0, lineStart: 0, start: 0, end: 0, packets: -1, targetStart: -1, targetEnd: -1, target: undefined, targetChain: undefined, targetHasOptions: false, commentStart: -1, commentEnd: -1}
  }

  /**
   * Checks the run of `count` lines from offset `first` (line `firstLine`) of a chain of the
   * table whose chains are `chains`, then visits them in order; false (nothing visited) when a
   * line must be read as a rule to be reported on.
   */
  visit(chains: ChainLookup, first: number, firstLine: number, count: number, visit: LineVisitor): boolean {
    // One run at a time (the facts are kept in place): a visit that asks for another gets false.
    if (this.visiting || !this.check(chains, first, count)) return false
    this.visiting = true
    try {
      this.visitChecked(firstLine, count, visit)
    } finally {
      this.visiting = false
      this.facts.chains.fill(undefined, 0, count) // hold no chain past the visit
    }
    return true
  }

  private visiting = false

  private visitChecked(firstLine: number, count: number, visit: LineVisitor): void {
    const f = this.facts
    const line = this.line
    line.count = count
    for (let i = 0; i < count; i++) {
      line.index = i + 1
      line.line = firstLine + i
      line.lineStart = f.lineStarts[i]
      line.start = f.starts[i]
      line.end = f.ends[i]
      line.packets = f.packets[i]
      line.targetStart = f.targetStarts[i]
      line.targetEnd = f.targetEnds[i]
      line.target = f.targets[i]
      line.targetChain = f.chains[i]
      line.targetHasOptions = f.options[i] === 1
      line.commentStart = f.commentStarts[i]
      line.commentEnd = f.commentEnds[i]
      visit(line)
    }
  }

  /** Scans every line of the run into `facts`; false at the first one that needs the full reading. */
  private check(chains: ChainLookup, first: number, count: number): boolean {
    const text = this.text
    const f = this.facts
    f.ensure(count)
    if (chains !== this.lastLookup) {
      this.lastLookup = chains
      this.lastName = ''
      this.lastChain = undefined
    }
    let pos = first
    for (let i = 0; i < count; i++) {
      let end = text.indexOf('\n', pos)
      if (end < 0) end = text.length
      const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end
      let from = pos
      f.packets[i] = -1
      if (text.charCodeAt(pos) === 91 /* [ */) {
        const packets = readPackets(text, pos, lineEnd)
        if (packets < 0) return false
        f.packets[i] = packets
        from = text.indexOf(']', pos) + 2
      }
      if (!this.scanner.scan(from, lineEnd, true)) return false
      const scan = this.scanner.result
      f.lineStarts[i] = pos
      f.starts[i] = from
      f.ends[i] = lineEnd
      f.targetStarts[i] = scan.targetStart
      f.targetEnds[i] = scan.targetEnd
      f.options[i] = scan.targetHasOptions ? 1 : 0
      f.commentStarts[i] = scan.commentStart
      f.commentEnds[i] = scan.commentEnd
      f.targets[i] = undefined
      f.chains[i] = undefined
      if (scan.targetStart >= 0 && !this.resolveTarget(chains, scan.targetStart, scan.targetEnd, scan.targetHasOptions, i)) return false
      pos = end + 1
    }
    // One expression over the run (or, once enough was read, over the whole text: see GarbageCheck).
    return this.garbage.cleanRange(first, pos > text.length ? text.length : pos)
  }

  /** Names line i's target and finds its chain; false for a jump to a chain the table does not have. */
  private resolveTarget(chains: ChainLookup, start: number, end: number, hasOptions: boolean, i: number): boolean {
    const text = this.text
    const f = this.facts
    const last = this.lastName
    if (end - start === last.length && text.startsWith(last, start)) {
      f.targets[i] = last
      f.chains[i] = this.lastChain
      return true
    }
    const name = internWord(this.names, text, start, end)
    f.targets[i] = name
    if (!scannedJumpToChain(name, hasOptions)) return true
    const chain = chains.get(name)
    if (chain === undefined) return false
    // The chain's own name: one string, its hash already computed (maps keyed by name find it fast).
    f.targets[i] = chain.name
    f.chains[i] = chain
    this.lastName = chain.name
    this.lastChain = chain
    return true
  }
}

/** The packets of `[packets:bytes]` at `start` (followed by a space, before `end`), -1 when malformed. */
function readPackets(text: string, start: number, end: number): number {
  const close = text.indexOf(']', start)
  if (close < 0 || close + 1 >= end || text.charCodeAt(close + 1) !== 32) return -1
  const colon = text.indexOf(':', start)
  if (colon < 0 || colon > close) return -1
  let packets = 0
  for (let k = start + 1; k < colon; k++) {
    const c = text.charCodeAt(k)
    if (c < 48 || c > 57) return -1
    packets = packets * 10 + (c - 48)
  }
  for (let k = colon + 1; k < close; k++) {
    const c = text.charCodeAt(k)
    if (c < 48 || c > 57) return -1
  }
  return colon - start - 1 >= 1 && colon - start - 1 <= 20 && close - colon - 1 >= 1 && close - colon - 1 <= 20 ? packets : -1
}
