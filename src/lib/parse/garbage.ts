/**
 * Binary garbage: NUL and other control bytes, and U+FFFD (what invalid UTF-8 becomes when the
 * file was decoded as UTF-8). iptables-save output is printable text plus tabs, so such a line
 * is never parsed as a rule; it is reported once and skipped.
 */
import {issueAt} from './issues.js'
import type {ParseIssue} from './types.js'

/** Reporting every line of a binary file helps nobody: after this many, one summary issue. */
const MAX_REPORTED = 20

/** Once lines adding up to this share of the source were checked one by one, the rest is checked at once. */
const WHOLE_TEXT_SHARE = 0.15

// CR is allowed (CRLF endings); tab is allowed (iptables-restore accepts it as a separator).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const GARBAGE_IN_LINE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/

/**
 * Whether ASCII bytes hold binary garbage: control bytes other than tab, LF and CR, or DEL (the
 * expression's set; bytes ≥ 0x80 are not ASCII and are the caller's business). A reader that has
 * a file's bytes checks them here four at a time, in about half the time the expression takes
 * over the decoded text of a 50 MB dump; it then parses with `knownClean`.
 */
export function asciiHasGarbage(bytes: Uint8Array): boolean {
  const whole = bytes.length - (bytes.length % 4)
  const aligned = bytes.byteOffset % 4 === 0
  if (aligned) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole / 4)
    for (let k = 0; k < words.length; k++) {
      const word = words[k]
      // Some byte < 0x20, or some byte == 0x7f (the usual has-zero-byte tricks): look closer.
      const del = word ^ 0x7f7f7f7f
      if (((word - 0x20202020) & ~word & 0x80808080) !== 0 || ((del - 0x01010101) & ~del & 0x80808080) !== 0) {
        if (garbageIn(bytes, 4 * k, 4 * k + 4)) return true
      }
    }
  }
  return garbageIn(bytes, aligned ? whole : 0, bytes.length)
}

function garbageIn(bytes: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = bytes[k]
    if (c < 32 ? c !== 9 && c !== 10 && c !== 13 : c === 127) return true
  }
  return false
}

/**
 * Checks lines when they are read (a lazy parse reads a chain's lines only when the chain is
 * read: their bytes are checked then, not while the dump is first read). A line with garbage is
 * reported once and skipped; past MAX_REPORTED lines, one summary at the end.
 */
export class GarbageCheck {
  private lines = 0
  /** Characters checked line by line so far; past a share of the source, the whole is checked once. */
  private checked = 0
  /** true once the whole source is known to hold no garbage: then no line does. */
  private clean = false
  /** cleanRange has run the expression over the whole source (and found garbage, unless `clean`). */
  private wholeChecked = false

  /**
   * @param source the whole text the lines come from. A reader of every chain (check) would
   *   otherwise run the expression once per line over 10^5 lines: one run over the whole text
   *   is cheaper, but only worth it once a good share of it is read (a trace reads a few chains).
   */
  constructor(
    private readonly issues: ParseIssue[],
    private source?: string,
    /** The caller checked the whole source already (asciiHasGarbage): no line holds garbage. */
    knownClean = false,
  ) {
    if (knownClean) {
      this.clean = true
      this.source = undefined
    }
  }

  /**
   * true when `text` (part of line `lineNo`, starting at column0 `offset`) holds garbage: it is
   * reported, and the line must be skipped.
   */
  found(text: string, lineNo: number, offset = 0): boolean {
    if (this.clean) return false
    if (this.source !== undefined && (this.checked += text.length) > this.source.length * WHOLE_TEXT_SHARE) {
      this.clean = !GARBAGE_IN_LINE.test(this.source)
      this.source = undefined
      if (this.clean) return false
    }
    const m = GARBAGE_IN_LINE.exec(text)
    if (m === null) return false
    if (++this.lines <= MAX_REPORTED) {
      const code = m[0].charCodeAt(0)
      const what = code === 0xfffd ? 'invalid UTF-8' : `control character 0x${code.toString(16).padStart(2, '0')}`
      this.issues.push(issueAt('error', 'binary-garbage', lineNo, offset + m.index, `binary data (${what}); line skipped`))
    }
    return true
  }

  /**
   * Whether source[start, end) is known to hold no garbage, checked at once (one run of the
   * expression instead of one per line): a reader that gets true need not check the lines in it.
   */
  cleanRange(start: number, end: number): boolean {
    if (this.clean) return true
    const source = this.source
    if (source === undefined) return false
    // A reader of every chain checks run after run: past a share of the text, once for all of it.
    if (!this.wholeChecked && (this.checked += end - start) > source.length * WHOLE_TEXT_SHARE) {
      this.wholeChecked = true
      this.clean = !GARBAGE_IN_LINE.test(source)
      if (this.clean) return true
    }
    return !GARBAGE_IN_LINE.test(source.slice(start, end))
  }

  /** The summary for a binary file, once the dump is read. */
  finish(): void {
    if (this.lines > MAX_REPORTED) {
      this.issues.push(issueAt('error', 'binary-garbage', 0, undefined, `binary data on ${this.lines} lines in all (only the first ${MAX_REPORTED} are listed); is this a text file?`))
    }
  }
}
