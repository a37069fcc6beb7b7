/**
 * Typed views of the targets kube-proxy and common CNIs use (see typed-matches.ts for the rules:
 * unknown options ignored, malformed known values reported through `onIssue`).
 */
import {tryParsePortRange} from '../net/ports.js'
import {type OptionIssueReporter, parseMarkMask, parseNatRange, parseU32} from './decode-values.js'
import type {NatRange, Option, TypedTarget} from './types.js'

const noReport: OptionIssueReporter = () => {}

/**
 * Target extensions that are not chains. A `-j NAME` with no options whose NAME is not listed
 * here is read as a jump to a user-defined chain (iptables itself decides by looking the name up
 * among the table's chains first; we cannot, as fragments have no chain list).
 */
export const TARGET_EXTENSIONS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'MARK', 'REJECT', 'LOG',
  'AUDIT', 'CHECKSUM', 'CLASSIFY', 'CLUSTERIP', 'CONNMARK', 'CONNSECMARK', 'CT', 'DSCP', 'ECN', 'HL', 'HMARK',
  'IDLETIMER', 'LED', 'NETMAP', 'NFLOG', 'NFQUEUE', 'NOTRACK', 'RATEEST', 'SECMARK', 'SET', 'SYNPROXY',
  'TCPMSS', 'TCPOPTSTRIP', 'TEE', 'TOS', 'TPROXY', 'TRACE', 'TTL', 'ULOG',
])

type Decoder = (options: Option[], report: OptionIssueReporter) => TypedTarget | undefined

export function decodeTarget(name: string, options: Option[], onIssue: OptionIssueReporter = noReport): TypedTarget | undefined {
  if (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN' || name === 'QUEUE') return {kind: 'verdict', verdict: name}
  const decoder = DECODERS.get(name)
  if (decoder) return decoder(options, onIssue)
  if (options.length === 0 && !TARGET_EXTENSIONS.has(name)) return {kind: 'jump', chain: name}
  return undefined
}

/** Collects `flag` arguments decoded by `parse`, reporting the ones that do not decode. */
function collect<T>(options: Option[], flag: string, parse: (text: string) => T | undefined, what: string, report: OptionIssueReporter): T[] {
  const values: T[] = []
  options.forEach((o, i) => {
    if (o.flag !== flag) return
    const value = parse(o.args[0] ?? '')
    if (value === undefined) report(i, `${flag}: bad ${what} "${o.args.join(' ')}"`)
    else values.push(value)
  })
  return values.slice() // exact size: one per DNAT rule adds up on a large dump
}

const has = (options: Option[], flag: string) => options.some((o) => o.flag === flag)

function decodeDnat(options: Option[], report: OptionIssueReporter): TypedTarget {
  const to: NatRange[] = collect(options, '--to-destination', parseNatRange, 'address[:port] range', report)
  return {kind: 'dnat', to, random: has(options, '--random'), persistent: has(options, '--persistent')}
}

function decodeSnat(options: Option[], report: OptionIssueReporter): TypedTarget {
  const to: NatRange[] = collect(options, '--to-source', parseNatRange, 'address[:port] range', report)
  return {
    kind: 'snat',
    to,
    random: has(options, '--random'),
    randomFully: has(options, '--random-fully'),
    persistent: has(options, '--persistent'),
  }
}

/** MASQUERADE and REDIRECT write port ranges with a dash: `--to-ports 8080-8090`. */
const parseDashRange = (text: string) => tryParsePortRange(text, '-')

function decodeMasquerade(options: Option[], report: OptionIssueReporter): TypedTarget {
  const [toPorts] = collect(options, '--to-ports', parseDashRange, 'port range', report)
  return {
    kind: 'masquerade',
    ...(toPorts ? {toPorts} : {}),
    random: has(options, '--random'),
    randomFully: has(options, '--random-fully'),
  }
}

function decodeRedirect(options: Option[], report: OptionIssueReporter): TypedTarget {
  const [toPorts] = collect(options, '--to-ports', parseDashRange, 'port range', report)
  return {kind: 'redirect', ...(toPorts ? {toPorts} : {}), random: has(options, '--random')}
}

type MarkOp = Extract<TypedTarget, {kind: 'mark'}>['op']

/**
 * MARK, normalised to the kernel's xmark pair: new = (old & ~mask) ^ value. iptables itself
 * stores every form that way (libxt_MARK.c); `op` remembers which one was written:
 * set-xmark v/m → (v, m); set-mark v/m → (v, m|v); or-mark v → (v, v); and-mark v → (0, ~v);
 * xor-mark v → (v, 0). A missing mask defaults to 0xffffffff.
 */
function decodeMarkTarget(options: Option[], report: OptionIssueReporter): TypedTarget | undefined {
  let view: TypedTarget | undefined
  options.forEach((o, i) => {
    const op = o.flag.slice(2) as MarkOp
    const normalise = MARK_OPS.get(op)
    if (!normalise) return
    const pair = o.flag === '--set-xmark' || o.flag === '--set-mark' ? parseMarkMask(o.args[0] ?? '') : single(o.args[0])
    if (pair === undefined) report(i, `${o.flag}: bad mark "${o.args.join(' ')}"`)
    else view = {kind: 'mark', op, ...normalise(pair.value, pair.mask)}
  })
  return view
}

function single(text: string | undefined): {value: number; mask: number} | undefined {
  const value = parseU32(text ?? '')
  return value === undefined ? undefined : {value, mask: 0xffffffff}
}

const MARK_OPS = new Map<MarkOp, (value: number, mask: number) => {value: number; mask: number}>([
  ['set-xmark', (value, mask) => ({value, mask})],
  ['set-mark', (value, mask) => ({value, mask: (mask | value) >>> 0})],
  ['or-mark', (value) => ({value, mask: value})],
  ['and-mark', (value) => ({value: 0, mask: ~value >>> 0})],
  ['xor-mark', (value) => ({value, mask: 0})],
])

function decodeReject(options: Option[]): TypedTarget {
  const option = options.find((o) => o.flag === '--reject-with')
  return option ? {kind: 'reject', rejectWith: option.args[0]} : {kind: 'reject'}
}

function decodeLog(options: Option[]): TypedTarget {
  const view: Extract<TypedTarget, {kind: 'log'}> = {kind: 'log'}
  for (const o of options) {
    if (o.flag === '--log-prefix') view.prefix = o.args[0]
    else if (o.flag === '--log-level') view.level = o.args[0]
  }
  return view
}

const DECODERS = new Map<string, Decoder>([
  ['DNAT', decodeDnat],
  ['SNAT', decodeSnat],
  ['MASQUERADE', decodeMasquerade],
  ['REDIRECT', decodeRedirect],
  ['MARK', decodeMarkTarget],
  ['REJECT', decodeReject],
  ['LOG', decodeLog],
])
