/**
 * The extension text of one `iptables -L` rule (everything after the destination column):
 * the matches in rule order, then the target's own text. Turned back into iptables-save
 * options; what cannot be explained is returned as unknown text for the caller to report.
 */
import type {Match, Option} from './types.js'
import {readListedMatch} from './iptables-list-matches.js'
import {countCommentEnds, opt, TokenCursor, tokenizeExtensions} from './iptables-list-tokens.js'

export interface ListedExtensions {
  matches: Match[]
  targetOptions: Option[]
  /** `[goto]`: the rule was written with `-g`. */
  goto: boolean
  /** Text no recogniser could explain, in order, one entry per contiguous run of words. */
  unknown: {text: string; matchIndex: number}[]
}

type TargetReader = (cur: TokenCursor) => Option[] | undefined

/** Reads `key` or `key value` words until the end; undefined if any word is foreign. */
function readWords(cur: TokenCursor, read: (word: string, cur: TokenCursor) => Option | undefined): Option[] | undefined {
  const options: Option[] = []
  while (!cur.atEnd()) {
    const word = cur.next() ?? ''
    const option = read(word, cur)
    if (!option) return undefined
    options.push(option)
  }
  return options
}

function natReader(toFlag: string): TargetReader {
  return (cur) =>
    readWords(cur, (word) => {
      if (word.startsWith('to:')) return opt(toFlag, [word.slice(3)])
      if (['random', 'random-fully', 'persistent'].includes(word)) return opt(`--${word}`)
      return undefined
    })
}

/** MASQUERADE `masq ports: 1000-2000 random-fully`, REDIRECT `redir ports 8080 random`. */
function portsReader(lead: string[]): TargetReader {
  return (cur) =>
    readWords(cur, (word, c) => {
      if (word === lead[0] && c.peek() === lead[1]) {
        c.pos++
        return opt('--to-ports', [c.next() ?? ''])
      }
      if (word === 'random' || word === 'random-fully') return opt(`--${word}`)
      return undefined
    })
}

const rejectReader: TargetReader = (cur) =>
  readWords(cur, (word, c) => (word === 'reject-with' ? opt('--reject-with', [c.next() ?? '']) : undefined))

/**
 * MARK prints the kernel's (value, mask) pair in the shortest form (libxt_MARK mark_tg_print);
 * iptables-save always prints `--set-xmark value/mask`.
 */
const markReader: TargetReader = (cur) => {
  if (cur.next() !== 'MARK') return undefined
  const op = cur.next()
  const arg = cur.next() ?? ''
  if (!cur.atEnd()) return undefined
  const [valueText, maskText] = arg.split('/')
  const value = Number.parseInt(valueText, 16)
  const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`
  const pairs: Record<string, [number, number] | undefined> = {
    and: [0, ~value],
    or: [value, value],
    xor: [value, 0],
    set: [value, 0xffffffff],
    xset: maskText === undefined ? undefined : [value, Number.parseInt(maskText, 16)],
  }
  const pair = pairs[op ?? '']
  if (!pair || Number.isNaN(value) || Number.isNaN(pair[1])) return undefined
  return [opt('--set-xmark', [`${hex(pair[0])}/${hex(pair[1])}`])]
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug']
const LOG_FLAGS: [string, number][] = [
  ['tcp-sequence', 0x01],
  ['tcp-options', 0x02],
  ['ip-options', 0x04],
  ['uid', 0x08],
  ['macdecode', 0x20],
]

/** `LOG flags 14 level 6 prefix "x"` (or, without -n, `LOG level info tcp-options prefix "x"`). */
const logReader: TargetReader = (cur) => {
  if (cur.next() !== 'LOG') return undefined
  let level = '4'
  let flags = 0
  let prefix: string | undefined
  while (!cur.atEnd()) {
    const word = cur.next()
    const named = LOG_FLAGS.find(([name]) => name === word)
    if (word === 'flags') flags |= Number(cur.next())
    else if (word === 'level') level = cur.next() ?? '4'
    else if (word === 'prefix' && cur.token()?.kind === 'quoted') prefix = cur.next()
    else if (named) flags |= named[1]
    else return undefined
  }
  const levelNumber = LOG_LEVELS.includes(level) ? String(LOG_LEVELS.indexOf(level)) : level
  const options: Option[] = []
  if (prefix !== undefined) options.push(opt('--log-prefix', [prefix]))
  if (levelNumber !== '4') options.push(opt('--log-level', [levelNumber]))
  for (const [name, bit] of LOG_FLAGS) if ((flags & bit) !== 0) options.push(opt(`--log-${name}`))
  return options
}

const TARGET_READERS: Record<string, TargetReader> = {
  DNAT: natReader('--to-destination'),
  SNAT: natReader('--to-source'),
  MASQUERADE: portsReader(['masq', 'ports:']),
  REDIRECT: portsReader(['redir', 'ports']),
  REJECT: rejectReader,
  MARK: markReader,
  LOG: logReader,
}

/** Try the target's reader on everything from the cursor to the end. */
function readTargetText(cur: TokenCursor, target: string | undefined): Option[] | undefined {
  const reader = TARGET_READERS[target ?? '']
  if (!reader) return undefined
  const probe = new TokenCursor(cur.tokens, cur.pos)
  return reader(probe)
}

function readAll(text: string, target: string | undefined, commentEndSkip: number): ListedExtensions {
  const cur = new TokenCursor(tokenizeExtensions(text, commentEndSkip))
  const result: ListedExtensions = {matches: [], targetOptions: [], goto: false, unknown: []}
  let pending: string[] = []
  const flushUnknown = (): void => {
    if (pending.length > 0) result.unknown.push({text: pending.join(' '), matchIndex: result.matches.length})
    pending = []
  }
  while (!cur.atEnd()) {
    if (cur.peek() === '[goto]') {
      result.goto = true
      cur.pos++
      continue
    }
    const match = readListedMatch(cur)
    if (match) {
      flushUnknown()
      result.matches.push(match)
      continue
    }
    const targetOptions = readTargetText(cur, target)
    if (targetOptions) {
      result.targetOptions = targetOptions
      break
    }
    const token = cur.token()
    pending.push(token?.kind === 'comment' ? `/* ${token.text} */` : (token?.text ?? ''))
    cur.pos++
  }
  flushUnknown()
  return result
}

/**
 * Parse the extension text of a rule whose target column is `target` (undefined when the rule
 * has no target). A comment containing ` *\/` makes the text ambiguous; the first reading
 * that leaves nothing unexplained wins.
 */
export function parseListedExtensions(text: string, target: string | undefined): ListedExtensions {
  const readings = Math.max(1, countCommentEnds(text))
  let first: ListedExtensions | undefined
  for (let skip = 0; skip < readings; skip++) {
    const reading = readAll(text, target, skip)
    if (reading.unknown.length === 0) return reading
    first ??= reading
  }
  return first ?? readAll(text, target, 0)
}
