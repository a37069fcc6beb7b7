/**
 * JSON parsing that fails the way a user can act on: `file:line: message`, one line.
 */
import {InputError} from '../errors.js'

/**
 * Parse JSON text; on a syntax error throw an InputError naming the file and the line.
 */
export function parseJsonText(text: string, origin: string): unknown {
  const body = stripBom(text)
  try {
    return JSON.parse(body)
  } catch (error) {
    const {offset, message} = locateJsonError(body, error)
    throw new InputError(`${origin}:${lineAt(body, offset)}: ${message}`, [
      `check that ${origin} is complete JSON (e.g. kubectl get ... -o json > ${origin})`,
    ])
  }
}

/**
 * Where JSON.parse gave up. V8 names a position for some errors ("... at position 42") but not
 * for an unexpected token, so we search for the shortest prefix that already fails somewhere
 * other than at its end: viability of a prefix is monotone, so a binary search finds it.
 */
function locateJsonError(text: string, original: unknown): {offset: number; message: string} {
  let lo = 1
  let hi = text.length
  let found: {offset: number; message: string} | undefined
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2)
    const failure = hardFailure(text.slice(0, mid))
    if (failure) {
      found = failure
      hi = mid - 1
    } else lo = mid + 1
  }
  return found ?? {offset: text.length, message: cleanMessage(original)}
}

/** The error of a prefix, unless it only says "the text ended too early". */
function hardFailure(prefix: string): {offset: number; message: string} | undefined {
  try {
    JSON.parse(prefix)
    return undefined
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (/Unexpected end/.test(message)) return undefined
    const position = /at position (\d+)/.exec(message)
    const offset = position ? Number(position[1]) : prefix.length - 1
    return offset >= prefix.length ? undefined : {offset, message: cleanMessage(error)}
  }
}

function cleanMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message
    .replace(/\s*(?:in JSON )?at position \d+.*$/s, '')
    .replace(/, (?:\.\.\.)?".*$/s, '')
    .split(/\r?\n/, 1)[0]
}

/** 1-based line number of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++
  // A truncated file that ends in a newline stopped on the line before the empty last one.
  if (offset >= text.length && text.endsWith('\n') && line > 1) line--
  return line
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
