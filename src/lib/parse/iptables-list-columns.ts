/**
 * The fixed columns of an `iptables -L -n [-v] [-x] [--line-numbers]` rule line:
 *
 *   [num] [pkts bytes] target prot opt [in out] source destination  extension text...
 *
 * The target column is blank for a rule without -j (kube-proxy's KUBE-FW fall-through), so the
 * `opt` column (`--`, `-f`, `!f`) is the anchor: it is the only column with that shape.
 * Articles and tickets often collapse the padding to single spaces, so nothing here relies on
 * column widths.
 */
import type {Counters} from './types.js'

/** Which optional columns a listing has, from its header line or inferred from a rule line. */
export interface ListLayout {
  lineNumbers: boolean
  verbose: boolean
}

export interface ListedColumns {
  num?: number
  counters?: Counters
  /** true when a counter used a K/M/G/T suffix (listing without -x): the value is rounded. */
  approximate: boolean
  target?: string
  prot: string
  opt: string
  in?: string
  out?: string
  source: string
  destination: string
  /** Everything after the destination column, untrimmed at the start. */
  rest: string
  layout: ListLayout
}

const HEADER = /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\s+(in\s+out\s+)?source\s+destination\s*$/

/** The column header iptables prints under each `Chain` line, or undefined if `line` is not one. */
export function parseListHeader(line: string): ListLayout | undefined {
  const m = HEADER.exec(line)
  if (!m) return undefined
  return {lineNumbers: m[1] !== undefined, verbose: m[2] !== undefined || m[3] !== undefined}
}

const OPT = /^(--|-f|!f)$/
/** A counter as -v prints it: exact with -x, else rounded to K/M/G/T above 99999. */
const COUNTER = /^(\d+)([KMGT]?)$/
const SUFFIX: Record<string, number> = {'': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12}
const ADDRESS = /^!?([0-9.]+(\/[0-9.]+)?|anywhere|[0-9a-f:]+:[0-9a-f:]*(\/\d+)?)$/i

export function parseCounter(text: string): {value: number; approximate: boolean} | undefined {
  const m = COUNTER.exec(text)
  if (!m) return undefined
  return {value: Number(m[1]) * SUFFIX[m[2]], approximate: m[2] !== ''}
}

interface Word {
  text: string
  end: number
}

function words(line: string, limit: number): Word[] {
  const out: Word[] = []
  const re = /\S+/g
  for (let m = re.exec(line); m && out.length < limit; m = re.exec(line)) out.push({text: m[0], end: m.index + m[0].length})
  return out
}

/**
 * Columns before `prot` are [num] [pkts bytes] [target]; the numeric ones are counted from the
 * left, so a listing without a header still parses. A header, when seen, must agree.
 */
function leadingLayout(before: Word[], afterOpt: Word[], header: ListLayout | undefined): ListLayout {
  if (header) return header
  let numeric = 0
  while (numeric < before.length && COUNTER.test(before[numeric].text)) numeric++
  // With -v the two interface columns precede two address columns.
  const verbose = afterOpt.length >= 4 && ADDRESS.test(afterOpt[2].text) && !ADDRESS.test(afterOpt[0].text)
  return {verbose, lineNumbers: verbose ? numeric === 3 : numeric === 1}
}

/** Splits one rule line into its columns; a string is an explanation of why it is not one. */
export function parseListColumns(line: string, header: ListLayout | undefined): ListedColumns | string {
  const ws = words(line, 16)
  const optAt = ws.findIndex((w, i) => i >= 1 && OPT.test(w.text))
  if (optAt < 0) return 'no "opt" column (--, -f or !f) found'
  const afterOpt = ws.slice(optAt + 1)
  const layout = leadingLayout(ws.slice(0, optAt - 1), afterOpt, header)
  const lead = (layout.lineNumbers ? 1 : 0) + (layout.verbose ? 2 : 0)
  const targetColumns = optAt - 1 - lead
  if (targetColumns !== 0 && targetColumns !== 1) return `expected ${lead} column(s) before the target, found ${optAt - 1}`
  const addrAt = layout.verbose ? 2 : 0
  if (afterOpt.length < addrAt + 2) return 'too few columns after "opt"'
  const cols: ListedColumns = {
    approximate: false,
    target: targetColumns === 1 ? ws[optAt - 2].text : undefined,
    prot: ws[optAt - 1].text,
    opt: ws[optAt].text,
    source: afterOpt[addrAt].text,
    destination: afterOpt[addrAt + 1].text,
    rest: line.slice(afterOpt[addrAt + 1].end),
    layout,
  }
  if (layout.lineNumbers) {
    if (!/^\d+$/.test(ws[0].text)) return `line number "${ws[0].text}" is not a number`
    cols.num = Number(ws[0].text)
  }
  if (layout.verbose) {
    const at = layout.lineNumbers ? 1 : 0
    const packets = parseCounter(ws[at].text)
    const bytes = parseCounter(ws[at + 1].text)
    if (!packets || !bytes) return `counters "${ws[at].text} ${ws[at + 1].text}" are not numbers`
    cols.counters = {packets: packets.value, bytes: bytes.value}
    cols.approximate = packets.approximate || bytes.approximate
    cols.in = afterOpt[0].text
    cols.out = afterOpt[1].text
  }
  return cols
}
