/**
 * The plain shapes of the rule lines that make up nearly all of a kube-proxy dump, each
 * recognized by one expression in a single native pass:
 *
 *   -A CHAIN [-m comment --comment C] -m statistic --mode random --probability P -j TARGET
 *   -A CHAIN [-m comment --comment C] -j TARGET
 *   -A CHAIN -p PROTO [-m comment --comment C] -m tcp|udp|sctp -j DNAT --to-destination TO
 *   -A CHAIN -s SOURCE [-m comment --comment C] -j TARGET
 *
 * Every word class excludes spaces, tabs, quotes and backslashes, a value never starts with `-`
 * or `!`, and the only quoted word is the comment, without escapes: so each expression word is
 * exactly one tokenizer word, and a line of a shape (without a tab, within the fast scan's
 * length) is one the fast scan (fast-scan.ts) reads whole, with the same target and comment.
 * test/lib/parse/line-shapes.test.ts holds the two to it on every line of the corpus.
 */

/** A plain word that the parser takes as a value (or chain, or target name), not as a flag. */
const WORD = String.raw`[^\s"\\!-][^\s"\\]*`
const COMMENT = String.raw`(?: -m comment --comment (?:"[^"\\]*"|${WORD}))?`
const HEAD = String.raw`-A ${WORD}`

// Sticky, not anchored with ^: the match starts after any `[packets:bytes]` counters.
const SOURCES = [
  String.raw`${HEAD}${COMMENT} -m statistic --mode random --probability ${WORD} -j ${WORD}$`,
  String.raw`${HEAD}${COMMENT} -j ${WORD}$`,
  String.raw`${HEAD} -p ${WORD}${COMMENT} -m (?:tcp|udp|sctp) -j DNAT --to-destination ${WORD}$`,
  String.raw`${HEAD} -s ${WORD}${COMMENT} -j ${WORD}$`,
]
/** For one line on its own (`$` is its end). */
const IN_LINE = SOURCES.map((source) => new RegExp(source, 'y'))
/** In place in a whole dump's text (`$` is a line's end). */
const IN_TEXT = SOURCES.map((source) => new RegExp(source, 'my'))

/** Which shape a line has (0 for none). */
export const SHAPE_NONE = 0
export const SHAPE_RANDOM_JUMP = 1
export const SHAPE_PLAIN_JUMP = 2
export const SHAPE_ENDPOINT_DNAT = 3
export const SHAPE_SOURCE_JUMP = 4

/** The shape of a line on its own from `from` (after any counters). */
export function shapeOfLine(line: string, from: number): number {
  return shapeOf(line, from, line.length, IN_LINE)
}

/**
 * The shape of the rule line text[from, end) (`-A` at `from`, `end` its end without CR), tested
 * where it stands in the whole text: a reader of every line (scanned-lines.ts) learns it without
 * cutting the line out.
 */
export function shapeAt(text: string, from: number, end: number): number {
  return shapeOf(text, from, end, IN_TEXT)
}

function shapeOf(text: string, from: number, end: number, shapes: RegExp[]): number {
  if (text.charCodeAt(from) !== 45 /* - */) return SHAPE_NONE
  // Each shape needs a given flag right after the chain word (` -m` for the random jump,
  // ` -m` or ` -j` for the plain one, ` -p` for the DNAT, ` -s` for the source jump): only the
  // shapes that can match are tried. (When the chain word is not WORD, every shape fails anyway.)
  const space = text.indexOf(' ', from + 3)
  if (space < 0 || space >= end) return SHAPE_NONE
  const flag = text.charCodeAt(space + 2)
  if (flag === 109 /* m */ && test(shapes[0], text, from, end)) return SHAPE_RANDOM_JUMP
  if ((flag === 109 || flag === 106) /* m, j */ && test(shapes[1], text, from, end)) return SHAPE_PLAIN_JUMP
  if (flag === 112 /* p */ && test(shapes[2], text, from, end)) return SHAPE_ENDPOINT_DNAT
  if (flag === 115 /* s */ && test(shapes[3], text, from, end)) return SHAPE_SOURCE_JUMP
  return SHAPE_NONE
}

/** The shape matches from `from` and ends at `end` (in a whole text, `$` may also stop at a lone CR). */
function test(shape: RegExp, text: string, from: number, end: number): boolean {
  shape.lastIndex = from
  return shape.test(text) && shape.lastIndex === end
}

/** Where a shaped line's target and comment stand (offsets into its text; -1: none). */
export interface ShapeSpans {
  targetStart: number
  targetEnd: number
  /** The target has options after it (a DNAT's --to-destination). */
  targetHasOptions: boolean
  commentStart: number
  commentEnd: number
}

/**
 * The target and comment of the line text[from, end) of shape `shape`: the target is the last
 * word (a DNAT's is followed by its --to-destination), and the comment, when there is one,
 * follows the chain word (jumps) or the -p/-s value.
 */
export function shapeSpans(text: string, shape: number, from: number, end: number, out: ShapeSpans): void {
  if (shape === SHAPE_ENDPOINT_DNAT) {
    out.targetStart = text.lastIndexOf(' -j DNAT ', end) + 4
    out.targetEnd = out.targetStart + 4
    out.targetHasOptions = true
  } else {
    out.targetStart = text.lastIndexOf(' -j ', end) + 4
    out.targetEnd = end
    out.targetHasOptions = false
  }
  let at = text.indexOf(' ', from + 3) // after the chain word
  if (shape === SHAPE_ENDPOINT_DNAT || shape === SHAPE_SOURCE_JUMP) at = text.indexOf(' ', at + 4) // after `-p VALUE` / `-s VALUE`
  out.commentStart = out.commentEnd = -1
  if (!text.startsWith(' -m comment --comment ', at)) return
  const value = at + 22
  if (text.charCodeAt(value) === 34 /* " */) {
    out.commentStart = value + 1
    out.commentEnd = text.indexOf('"', value + 1)
  } else {
    out.commentStart = value
    out.commentEnd = text.indexOf(' ', value)
  }
}
