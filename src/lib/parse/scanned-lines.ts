/**
 * A deferred chain's rule lines read without making rules, for readers of every rule of a big
 * dump (`kpx check` reads all 3×10^5 rules of a 10k-Service dump: as rule objects they cost
 * seconds, mostly in allocation and garbage collection).
 *
 * The lines are checked exactly as reading the chain's `rules` would check them, first, all of
 * them: no binary garbage, every line one the fast scan reads whole (fast-scan.ts; a line of
 * a plain shape, line-shapes.ts, is known to be one without it), counters well formed, every
 * jump to a chain landing on a declared one. Only then are they visited, one
 * reused ScannedLine each. If any line fails, nothing is visited and the caller reads `rules`,
 * which reports the problem as it always did: this is a faster way to the same facts, never a
 * laxer one.
 */
import {ChainSpanIndex, spanEquals} from './chain-span-index.js'
import type {Chain} from './types.js'
import type {GarbageCheck} from './garbage.js'
import {Cursor, FastRuleScanner, MAX_FAST_LINE} from './fast-scan.js'
import {scannedJumpToChain} from './lazy-rule.js'
import {SHAPE_NONE, shapeAt, shapeSpans, type ShapeSpans} from './line-shapes.js'
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
  /** The position in its table's chain list of the chain the rule jumps to (-1: no target, or an extension target). */
  targetPosition: number
  /** The -j target has options after it (`-j DNAT --to-destination …`). */
  targetHasOptions: boolean
  /** The first `-m comment --comment` value, quotes excluded; commentStart -1 when none. */
  commentStart: number
  commentEnd: number
  /** The word "statistic" is somewhere in the line (else it certainly has no statistic match). */
  mentionsStatistic: boolean
  /** The line's kube-proxy shape (line-shapes.ts SHAPE_*), 0 for none. */
  shape: number
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
  statistic = new Uint8Array(64)
  shapes = new Uint8Array(64)
  packets = new Float64Array(64)
  targets: (string | undefined)[] = []
  positions = new Int32Array(64)

  ensure(count: number): void {
    if (count <= this.starts.length) return
    const size = Math.max(count, this.starts.length * 2)
    this.lineStarts = grown(this.lineStarts, size)
    this.starts = grown(this.starts, size)
    this.ends = grown(this.ends, size)
    this.targetStarts = grown(this.targetStarts, size)
    this.targetEnds = grown(this.targetEnds, size)
    this.commentStarts = grown(this.commentStarts, size)
    this.commentEnds = grown(this.commentEnds, size)
    this.options = grown(this.options, size)
    this.statistic = grown(this.statistic, size)
    this.shapes = grown(this.shapes, size)
    this.positions = grown(this.positions, size)
    this.packets = grown(this.packets, size)
  }
}

/** A copy of `old` in a new array of `size` elements of its kind. */
function grown<T extends Int32Array | Uint8Array | Float64Array>(old: T, size: number): T {
  const next = new (old.constructor as new (size: number) => T)(size)
  next.set(old)
  return next
}

export class LineRunScanner {
  private readonly scanner: FastRuleScanner
  /** Where "statistic" next occurs: one search through the text for all lines (they are read in its order). */
  private readonly statistic: Cursor
  /** Tabs, which the fast scan refuses anywhere in a line (the shapes allow them inside a comment). */
  private readonly tab: Cursor
  private readonly facts = new LineFacts()
  private readonly names: string[] = new Array<string>(256).fill('')
  private readonly line: ScannedLine
  /** The table being read: its chains and their index (built once per table). */
  private chains: readonly Chain[] = []
  private index: ChainSpanIndex | undefined
  private readonly indexes = new WeakMap<readonly Chain[], ChainSpanIndex>()

  constructor(
    private readonly text: string,
    private readonly garbage: GarbageCheck,
  ) {
    this.scanner = new FastRuleScanner(text)
    this.statistic = new Cursor(text, 'statistic')
    this.tab = new Cursor(text, '\t')
    this.line = {text, index: 0, count: 0, line: 0, lineStart: 0, start: 0, end: 0, packets: -1, targetStart: -1, targetEnd: -1, target: undefined, targetPosition: -1, targetHasOptions: false, commentStart: -1, commentEnd: -1, mentionsStatistic: false, shape: 0}
  }

  /**
   * Checks the run of `count` lines from offset `first` (line `firstLine`) of a chain of the
   * table whose chains are `chains` (its whole list, in order), then visits them in order; false
   * (nothing visited) when a line must be read as a rule to be reported on.
   */
  visit(chains: readonly Chain[], first: number, firstLine: number, count: number, visit: LineVisitor): boolean {
    // One run at a time (the facts are kept in place): a visit that asks for another gets false.
    if (this.visiting || !this.check(chains, first, count)) return false
    this.visiting = true
    try {
      this.visitChecked(firstLine, count, visit)
    } finally {
      this.visiting = false
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
      line.targetPosition = f.positions[i]
      line.targetHasOptions = f.options[i] === 1
      line.commentStart = f.commentStarts[i]
      line.commentEnd = f.commentEnds[i]
      line.mentionsStatistic = f.statistic[i] === 1
      line.shape = f.shapes[i]
      visit(line)
    }
  }

  /** Scans every line of the run into `facts`; false at the first one that needs the full reading. */
  private check(chains: readonly Chain[], first: number, count: number): boolean {
    const text = this.text
    const f = this.facts
    f.ensure(count)
    this.indexOver(chains)
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
      f.lineStarts[i] = pos
      f.starts[i] = from
      f.ends[i] = lineEnd
      f.statistic[i] = this.statistic.within(pos, lineEnd) ? 1 : 0
      f.targets[i] = undefined
      f.positions[i] = -1
      // Most lines have one of the plain shapes (line-shapes.ts): one expression, with no tab in
      // the line and within the fast scan's length, proves the line is one the fast scan reads
      // whole, and the target and comment follow from the shape.
      const shape = lineEnd - from <= MAX_FAST_LINE && !this.tab.within(from, lineEnd) ? shapeAt(text, from, lineEnd) : SHAPE_NONE
      f.shapes[i] = shape
      if (shape !== SHAPE_NONE) this.shapeSpans(shape, from, lineEnd, i)
      else if (this.scanner.scan(from, lineEnd, true)) {
        const scan = this.scanner.result
        f.targetStarts[i] = scan.targetStart
        f.targetEnds[i] = scan.targetEnd
        f.options[i] = scan.targetHasOptions ? 1 : 0
        f.commentStarts[i] = scan.commentStart
        f.commentEnds[i] = scan.commentEnd
      } else return false
      if (f.targetStarts[i] >= 0 && !this.resolveTarget(f.targetStarts[i], f.targetEnds[i], f.options[i] === 1, i)) return false
      pos = end + 1
    }
    // One expression over the run (or, once enough was read, over the whole text: see GarbageCheck).
    return this.garbage.cleanRange(first, pos > text.length ? text.length : pos)
  }

  private readonly spans: ShapeSpans = {targetStart: -1, targetEnd: -1, targetHasOptions: false, commentStart: -1, commentEnd: -1}

  /** Line i's target and comment, from its shape (line-shapes.ts). */
  private shapeSpans(shape: number, from: number, end: number, i: number): void {
    const spans = this.spans
    shapeSpans(this.text, shape, from, end, spans)
    const f = this.facts
    f.targetStarts[i] = spans.targetStart
    f.targetEnds[i] = spans.targetEnd
    f.options[i] = spans.targetHasOptions ? 1 : 0
    f.commentStarts[i] = spans.commentStart
    f.commentEnds[i] = spans.commentEnd
  }

  /** The index of the table's chains (a table that grew since its index was built gets a new one). */
  private indexOver(chains: readonly Chain[]): void {
    if (chains === this.chains && this.index?.size === chains.length) return
    this.chains = chains
    this.recent.starts.fill(0)
    this.recent.ends.fill(0) // another table: its positions, not the last one's
    let index = this.indexes.get(chains)
    if (index === undefined || index.size !== chains.length) this.indexes.set(chains, (index = new ChainSpanIndex(chains)))
    this.index = index
  }

  /** Names line i's target and finds its chain; false for a jump to a chain the table does not have. */
  private resolveTarget(start: number, end: number, hasOptions: boolean, i: number): boolean {
    // Most lines jump to what a recent line did (KUBE-MARK-MASQ, DNAT): that line's target is
    // compared where it stands in the text, near this one (a chain's own name is a cache miss).
    const recent = this.recent
    const bucket = end - start === 4 ? 0 : (this.text.charCodeAt(start + 5) & 7) + 1
    const other = recent.starts[bucket]
    if (recent.ends[bucket] - other === end - start && recent.options[bucket] === (hasOptions ? 1 : 0) && spanEquals(this.text, start, end, this.text, other)) {
      this.facts.targets[i] = recent.names[bucket]
      this.facts.positions[i] = recent.positions[bucket]
      return true
    }
    if (!this.findTarget(start, end, hasOptions, i)) return false
    recent.starts[bucket] = start
    recent.ends[bucket] = end
    recent.options[bucket] = hasOptions ? 1 : 0
    recent.names[bucket] = this.facts.targets[i] as string
    recent.positions[bucket] = this.facts.positions[i]
    return true
  }

  /** The last target found in each of a few buckets (by length and a character of the name), by its place in the text. */
  private readonly recent = {
    starts: new Int32Array(9),
    ends: new Int32Array(9),
    options: new Uint8Array(9),
    positions: new Int32Array(9),
    names: new Array<string>(9).fill(''),
  }

  private findTarget(start: number, end: number, hasOptions: boolean, i: number): boolean {
    const f = this.facts
    const position = (this.index as ChainSpanIndex).positionOf(this.text, start, end)
    if (position >= 0) {
      // The chain's own name: no new string, and its hash is computed once for every map it keys.
      const name = this.chains[position].name
      f.targets[i] = name
      // No verdict or target extension is named KUBE-…: kube-proxy's 10^5 chains skip the sets.
      if (hasOptions ? false : isKubeName(this.text, start) || scannedJumpToChain(name, hasOptions)) f.positions[i] = position
      return true
    }
    const name = internWord(this.names, this.text, start, end)
    f.targets[i] = name
    return !scannedJumpToChain(name, hasOptions)
  }
}

/** Whether text at `start` begins with `KUBE-`. */
function isKubeName(text: string, start: number): boolean {
  return text.charCodeAt(start) === 75 && text.charCodeAt(start + 1) === 85 && text.charCodeAt(start + 2) === 66 && text.charCodeAt(start + 3) === 69 && text.charCodeAt(start + 4) === 45
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
