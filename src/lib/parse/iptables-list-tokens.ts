/**
 * Tokens of the free-text tail of an `iptables -L` rule line: everything after the destination
 * column, where each match extension and then the target extension print themselves.
 *
 * Two kinds of token need care because they may contain spaces: `/* comment *\/` (the comment
 * match prints its text verbatim, unescaped) and `"prefix"` (LOG prints its prefix verbatim).
 */
import type {Option} from './types.js'

export interface ListToken {
  text: string
  kind: 'word' | 'comment' | 'quoted'
}

/**
 * Split extension text into tokens. A comment's text may itself contain ` *\/` (the listing
 * does not escape it), so the end is ambiguous: `commentEndSkip` makes the first comment run to
 * a later ` *\/`, and the caller retries with a larger skip when the shortest reading leaves
 * text it cannot explain.
 */
export function tokenizeExtensions(text: string, commentEndSkip = 0): ListToken[] {
  const tokens: ListToken[] = []
  let pos = 0
  let firstComment = true
  while (pos < text.length) {
    if (isSpace(text.charCodeAt(pos))) {
      pos++
      continue
    }
    if (text.startsWith('/*', pos)) {
      const end = findCommentEnd(text, pos, firstComment ? commentEndSkip : 0)
      firstComment = false
      tokens.push({kind: 'comment', text: text.slice(Math.min(pos + 3, end), end)})
      pos = end + 3
      continue
    }
    if (text[pos] === '"') {
      // LOG prints its prefix last, unescaped, so the closing quote is the last one on the line.
      const close = text.lastIndexOf('"')
      const end = close > pos ? close : text.length
      tokens.push({kind: 'quoted', text: text.slice(pos + 1, end)})
      pos = end + 1
      continue
    }
    let end = pos
    while (end < text.length && !isSpace(text.charCodeAt(end))) end++
    tokens.push({kind: 'word', text: text.slice(pos, end)})
    pos = end
  }
  return tokens
}

/** Space or tab (the only blanks iptables prints; CR is stripped with the line ending). */
function isSpace(code: number): boolean {
  return code === 32 || code === 9
}

function findCommentEnd(text: string, start: number, skip: number): number {
  let end = text.indexOf(' */', start + 2)
  for (let i = 0; i < skip && end >= 0; i++) {
    const next = text.indexOf(' */', end + 3)
    if (next < 0) break
    end = next
  }
  return end < 0 ? text.length : end
}

/** How many ` *\/` sequences the text holds: the number of readings worth trying for a comment. */
export function countCommentEnds(text: string): number {
  let count = 0
  for (let at = text.indexOf(' */'); at >= 0; at = text.indexOf(' */', at + 3)) count++
  return count
}

/** A cursor over the tokens with the small helpers every recogniser needs. */
export class TokenCursor {
  constructor(
    readonly tokens: ListToken[],
    public pos = 0,
  ) {}

  peek(offset = 0): string | undefined {
    const token = this.tokens[this.pos + offset]
    return token?.kind === 'word' ? token.text : undefined
  }

  token(offset = 0): ListToken | undefined {
    return this.tokens[this.pos + offset]
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length
  }

  /** Consume a `!` word if present (listings put it before a keyword or a value). */
  bang(): boolean {
    if (this.peek() === '!') {
      this.pos++
      return true
    }
    return false
  }

  next(): string | undefined {
    const token = this.tokens[this.pos]
    if (token === undefined) return undefined
    this.pos++
    return token.text
  }
}

/** An option as iptables-save prints it; `!` goes before the flag, as iptables >= 1.4.3 writes. */
export function opt(flag: string, args: string[] = [], negated = false): Option {
  return negated ? {flag, args, negated, negation: 'before-flag'} : {flag, args, negated}
}

/** Split a value the listing prints as `!VALUE` into the value and its negation. */
export function splitBang(value: string): {negated: boolean; value: string} {
  return value.startsWith('!') ? {negated: true, value: value.slice(1)} : {negated: false, value}
}
