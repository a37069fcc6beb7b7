/**
 * Splits one rule line into words exactly as iptables-restore does (iptables/xshared.c
 * `add_param_to_argv`):
 * - words are separated by spaces and tabs;
 * - a double quote opens a quoted section; inside it a backslash takes the next character
 *   literally (`\"`, `\\`), and the closing quote ends the word at once (`"a"b` is two words,
 *   `""` is one empty word);
 * - outside quotes a backslash is an ordinary character.
 *
 * Results go into reusable parallel arrays instead of one object per word: a 430k-line dump has
 * millions of words, and the parser reads them once, in order. The caller must copy what it
 * keeps before tokenizing the next line.
 */
export interface Tokens {
  /** Number of words found. */
  count: number
  text: string[]
  /** 0-based offset of each word's first character (the opening quote for quoted words). */
  start: number[]
  /** true for words that were (even partly) quoted: such words are never flags. */
  quoted: boolean[]
  /** When a quote was left open: the 0-based offset of that quote, else -1. */
  unterminatedQuoteAt: number
}

export function createTokens(): Tokens {
  return {count: 0, text: [], start: [], quoted: [], unterminatedQuoteAt: -1}
}

const SPACE = 32
const TAB = 9
const QUOTE = 34
const BACKSLASH = 92

/** Tokenizes `line` from `from` to the end into `out` (which is reset first). Linear time. */
export function tokenizeInto(line: string, from: number, out: Tokens): Tokens {
  out.count = 0
  out.unterminatedQuoteAt = -1
  const n = line.length
  let i = from
  while (i < n) {
    let c = line.charCodeAt(i)
    if (c === SPACE || c === TAB) {
      i++
      continue
    }
    const wordStart = i
    // Fast path: a plain unquoted word is a single slice.
    while (i < n && c !== SPACE && c !== TAB && c !== QUOTE) c = line.charCodeAt(++i)
    if (i >= n || c !== QUOTE) {
      push(out, line.slice(wordStart, i), wordStart, false)
      continue
    }
    i = readQuotedWord(line, wordStart, i, out)
  }
  return out
}

/** Reads a word containing a quote at `quoteAt`; returns the offset after the word. */
function readQuotedWord(line: string, wordStart: number, quoteAt: number, out: Tokens): number {
  const n = line.length
  let text = line.slice(wordStart, quoteAt)
  let i = quoteAt
  for (;;) {
    // i is at an opening quote
    const openAt = i
    i++
    let chunkStart = i
    let closed = false
    while (i < n) {
      const c = line.charCodeAt(i)
      if (c === BACKSLASH && i + 1 < n) {
        text += line.slice(chunkStart, i) + line[i + 1]
        i += 2
        chunkStart = i
      } else if (c === QUOTE) {
        closed = true
        break
      } else i++
    }
    text += line.slice(chunkStart, i)
    if (!closed) {
      out.unterminatedQuoteAt = openAt
      push(out, text, wordStart, true)
      return n
    }
    i++ // past the closing quote, which ends the word
    push(out, text, wordStart, true)
    return i
  }
}

function push(out: Tokens, text: string, start: number, quoted: boolean): void {
  const k = out.count++
  out.text[k] = text
  out.start[k] = start
  out.quoted[k] = quoted
}

/**
 * Characters iptables-save prints without quotes (libxtables `xtables_save_string`): anything
 * else, or an empty value, is printed in double quotes with `"`, `\` and `'` backslash-escaped.
 */
function isSafeUnquoted(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 /* _ */ || c === 45 /* - */
  )
}

/** Quotes a value the way `xtables_save_string` does (used for --comment, --log-prefix, ...). */
export function saveString(value: string): string {
  let safe = value.length > 0
  for (let i = 0; safe && i < value.length; i++) safe = isSafeUnquoted(value.charCodeAt(i))
  if (safe) return value
  return '"' + value.replace(/["\\']/g, (ch) => '\\' + ch) + '"'
}

/**
 * Quotes any other word only when it could not be read back otherwise (whitespace, quotes, empty,
 * or a leading `-`/`!` that would make it a flag): iptables-save prints addresses, ports and
 * names bare.
 */
export function quoteIfNeeded(value: string): string {
  if (value.length === 0) return '""'
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === SPACE || c === TAB || c === QUOTE || c === 10 || c === 13) return saveString(value)
  }
  return value
}
