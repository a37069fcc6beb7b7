/**
 * Binary garbage: NUL and other control bytes, and U+FFFD (what invalid UTF-8 becomes when the
 * file was decoded as UTF-8). iptables-save output is printable text plus tabs, so such a line
 * is never parsed as a rule; it is reported once and skipped.
 */
import {issueAt} from './issues.js'
import type {ParseIssue} from './types.js'

// CR is allowed (CRLF endings); tab is allowed (iptables-restore accepts it as a separator).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const GARBAGE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/g

/** Reporting every line of a binary file helps nobody: after this many, one summary issue. */
const MAX_REPORTED = 20

/** Returns the 1-based numbers of lines with garbage, and appends issues for them. */
export function findGarbageLines(text: string, issues: ParseIssue[]): Set<number> {
  const lines = new Set<number>()
  GARBAGE.lastIndex = 0
  let lineNo = 1
  let lineStart = 0
  let counted = 0 // offset up to which newlines have been counted
  for (let m = GARBAGE.exec(text); m !== null; m = GARBAGE.exec(text)) {
    for (let nl = text.indexOf('\n', counted); nl >= 0 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
      lineNo++
      lineStart = nl + 1
    }
    counted = m.index
    if (!lines.has(lineNo)) {
      lines.add(lineNo)
      if (lines.size <= MAX_REPORTED) {
        const code = m[0].charCodeAt(0)
        const what = code === 0xfffd ? 'invalid UTF-8' : `control character 0x${code.toString(16).padStart(2, '0')}`
        issues.push(issueAt('error', 'binary-garbage', lineNo, m.index - lineStart, `binary data (${what}); line skipped`))
      }
    }
    // Skip the rest of this line: one issue per line is enough.
    const next = text.indexOf('\n', m.index)
    if (next < 0) break
    GARBAGE.lastIndex = next
  }
  if (lines.size > MAX_REPORTED) {
    issues.push(issueAt('error', 'binary-garbage', 0, undefined, `binary data on ${lines.size} lines in all (only the first ${MAX_REPORTED} are listed); is this a text file?`))
  }
  return lines
}

/**
 * Whether ASCII bytes hold a character the garbage scan would report (a control character other
 * than tab, LF and CR, or DEL): a reader that has the file's bytes can skip the text scan
 * (ParseOptions.clean) when this says no. Four bytes at a time (the classic "has a byte less
 * than n" test), about 5x faster than the regular expression over the decoded text.
 * Only meaningful for ASCII input (check with node:buffer isAscii first).
 */
export function hasControlBytes(bytes: Uint8Array): boolean {
  const length = bytes.length
  let i = 0
  const headEnd = Math.min(length, (4 - ((bytes.byteOffset + i) & 3)) & 3)
  for (; i < headEnd; i++) if (isControlByte(bytes[i])) return true
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (length - i) >>> 2)
  for (let w = 0; w < words.length; w++) {
    const word = words[w]
    const below20 = (word - 0x20202020) & ~word & 0x80808080
    const del = word ^ 0x7f7f7f7f
    if (below20 === 0 && ((del - 0x01010101) & ~del & 0x80808080) === 0) continue
    const at = i + w * 4
    if (isControlByte(bytes[at]) || isControlByte(bytes[at + 1]) || isControlByte(bytes[at + 2]) || isControlByte(bytes[at + 3])) return true
  }
  for (let k = i + words.length * 4; k < length; k++) if (isControlByte(bytes[k])) return true
  return false
}

function isControlByte(b: number): boolean {
  return (b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f
}
