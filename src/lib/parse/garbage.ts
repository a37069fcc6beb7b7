/**
 * Binary garbage: NUL and other control bytes, and U+FFFD (what invalid UTF-8 becomes when the
 * file was decoded as UTF-8). iptables-save output is printable text plus tabs, so such a line
 * is never parsed as a rule; it is reported once and skipped.
 */
import {issueAt} from './issues.js'
import type {ParseIssue} from './types.js'

/** Reporting every line of a binary file helps nobody: after this many, one summary issue. */
const MAX_REPORTED = 20

// CR is allowed (CRLF endings); tab is allowed (iptables-restore accepts it as a separator).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const GARBAGE_IN_LINE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/

/**
 * Checks lines when they are read (a lazy parse reads a chain's lines only when the chain is
 * read: their bytes are checked then, not while the dump is first read). A line with garbage is
 * reported once and skipped; past MAX_REPORTED lines, one summary at the end.
 */
export class GarbageCheck {
  private lines = 0

  constructor(private readonly issues: ParseIssue[]) {}

  /**
   * true when `text` (part of line `lineNo`, starting at column0 `offset`) holds garbage: it is
   * reported, and the line must be skipped.
   */
  found(text: string, lineNo: number, offset = 0): boolean {
    const m = GARBAGE_IN_LINE.exec(text)
    if (m === null) return false
    if (++this.lines <= MAX_REPORTED) {
      const code = m[0].charCodeAt(0)
      const what = code === 0xfffd ? 'invalid UTF-8' : `control character 0x${code.toString(16).padStart(2, '0')}`
      this.issues.push(issueAt('error', 'binary-garbage', lineNo, offset + m.index, `binary data (${what}); line skipped`))
    }
    return true
  }

  /** The summary for a binary file, once the dump is read. */
  finish(): void {
    if (this.lines > MAX_REPORTED) {
      this.issues.push(issueAt('error', 'binary-garbage', 0, undefined, `binary data on ${this.lines} lines in all (only the first ${MAX_REPORTED} are listed); is this a text file?`))
    }
  }
}
