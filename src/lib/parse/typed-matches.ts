/**
 * Typed views of the match modules kube-proxy and common CNIs use. The verbatim options stay the
 * source of truth; these views are derived from them. An option a decoder does not know is
 * ignored (kept verbatim, never an error); a known option with a malformed value is reported
 * through `onIssue` and left out of the view.
 */
import {tryParsePortRange} from '../net/ports.js'
import {
  negatable,
  type OptionIssueReporter,
  parseCount,
  parseMarkMask,
  parsePortList,
  parseProbability,
  parseWordList,
} from './decode-values.js'
import type {Option, Rule, TypedMatch} from './types.js'

type Decoder = (options: Option[], report: OptionIssueReporter) => TypedMatch | undefined

const noReport: OptionIssueReporter = () => {}

/**
 * Decodes one match. `module` is null for the builtin criteria (-s -d -p -i -o -f), whose single
 * option names the criterion. Returns undefined for modules kpx does not model.
 */
export function decodeMatch(
  module: string | null,
  options: Option[],
  onIssue: OptionIssueReporter = noReport,
): TypedMatch | undefined {
  if (module === null) return decodeBuiltin(options)
  const decoder = DECODERS.get(module)
  return decoder ? decoder(options, onIssue) : undefined
}

function decodeBuiltin(options: Option[]): TypedMatch | undefined {
  const option = options[0]
  if (!option || options.length !== 1) return undefined
  const value = option.args[0] ?? ''
  switch (option.flag) {
    case '-s':
    case '--source':
    case '--src':
      return {kind: 'source', value: negatable(option, value)}
    case '-d':
    case '--destination':
    case '--dst':
      return {kind: 'destination', value: negatable(option, value)}
    case '-p':
    case '--protocol':
      return {kind: 'protocol', value: negatable(option, value.toLowerCase())}
    case '-i':
    case '--in-interface':
      return {kind: 'in-interface', value: negatable(option, value)}
    case '-o':
    case '--out-interface':
      return {kind: 'out-interface', value: negatable(option, value)}
    case '-f':
    case '--fragment':
      return {kind: 'fragment', negated: option.negated}
    default:
      return undefined
  }
}

/** A malformed value of a known option; thrown by `need`, caught by `scan` next to the index. */
class BadOptionValue {
  constructor(readonly message: string) {}
}

/** Runs `each` on every option; a BadOptionValue becomes an issue for that option's index. */
function scan(options: Option[], report: OptionIssueReporter, each: (option: Option) => void): void {
  for (let i = 0; i < options.length; i++) {
    try {
      each(options[i])
    } catch (problem) {
      if (!(problem instanceof BadOptionValue)) throw problem
      report(i, problem.message)
    }
  }
}

/** Returns the decoded value, or throws a BadOptionValue naming the option. */
function need<T>(value: T | undefined, option: Option, what: string): T {
  if (value === undefined) throw new BadOptionValue(`${option.flag}: bad ${what} "${option.args.join(' ')}"`)
  return value
}

function decodePorts(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'ports'}> = {kind: 'ports'}
  scan(options, report, (o) => {
    const arg = o.args[0] ?? ''
    switch (o.flag) {
      case '--sport':
      case '--source-port':
        view.sport = negatable(o, need(tryParsePortRange(arg), o, 'port or range'))
        break
      case '--dport':
      case '--destination-port':
        view.dport = negatable(o, need(tryParsePortRange(arg), o, 'port or range'))
        break
      case '--tcp-flags': {
        const mask = need(parseWordList(arg), o, 'flag list')
        const comp = need(o.args[1] === undefined ? undefined : o.args[1].split(','), o, 'flag list')
        view.tcpFlags = negatable(o, {mask, comp})
        break
      }
      case '--syn':
        view.syn = negatable(o, true as const)
        break
    }
  })
  return view
}

function decodeMultiport(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'multiport'}> = {kind: 'multiport'}
  scan(options, report, (o) => {
    const list = () => negatable(o, need(parsePortList(o.args[0] ?? ''), o, 'port list'))
    if (o.flag === '--sports' || o.flag === '--source-ports') view.sports = list()
    else if (o.flag === '--dports' || o.flag === '--destination-ports') view.dports = list()
    else if (o.flag === '--ports') view.ports = list()
  })
  return view
}

function decodeStatistic(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'statistic'}> = {kind: 'statistic', mode: 'random', negated: false}
  scan(options, report, (o) => {
    const arg = o.args[0] ?? ''
    if (o.negated) view.negated = true
    if (o.flag === '--mode') view.mode = need(arg === 'random' || arg === 'nth' ? arg : undefined, o, 'mode')
    else if (o.flag === '--probability') {
      view.probability = need(parseProbability(arg), o, 'probability (expected a decimal from 0 to 1)')
      view.probabilityText = arg
    } else if (o.flag === '--every') view.every = need(parseCount(arg), o, 'count')
    else if (o.flag === '--packet') view.packet = need(parseCount(arg), o, 'count')
  })
  return view
}

function decodeMark(options: Option[], report: OptionIssueReporter): TypedMatch | undefined {
  let view: TypedMatch | undefined
  scan(options, report, (o) => {
    if (o.flag === '--mark') view = {kind: 'mark', value: negatable(o, need(parseMarkMask(o.args[0] ?? ''), o, 'mark'))}
  })
  return view
}

function decodeAddrtype(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'addrtype'}> = {kind: 'addrtype'}
  scan(options, report, (o) => {
    const types = () => negatable(o, need(parseWordList(o.args[0] ?? ''), o, 'address type list'))
    if (o.flag === '--src-type') view.srcType = types()
    else if (o.flag === '--dst-type') view.dstType = types()
    else if (o.flag === '--limit-iface-in') view.limitIfaceIn = true
    else if (o.flag === '--limit-iface-out') view.limitIfaceOut = true
  })
  return view
}

const RECENT_COMMANDS = new Map<string, 'set' | 'rcheck' | 'update' | 'remove'>([
  ['--set', 'set'],
  ['--rcheck', 'rcheck'],
  ['--update', 'update'],
  ['--remove', 'remove'],
])

function decodeRecent(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'recent'}> = {kind: 'recent', negated: false}
  scan(options, report, (o) => {
    const arg = o.args[0] ?? ''
    const command = RECENT_COMMANDS.get(o.flag)
    if (command) {
      view.command = command
      view.negated = o.negated
    } else if (o.flag === '--name') view.name = arg
    else if (o.flag === '--seconds') view.seconds = need(parseCount(arg), o, 'seconds')
    else if (o.flag === '--hitcount') view.hitcount = need(parseCount(arg), o, 'hit count')
    else if (o.flag === '--reap') view.reap = true
    else if (o.flag === '--rttl') view.rttl = true
    else if (o.flag === '--rsource') view.side = 'source'
    else if (o.flag === '--rdest') view.side = 'dest'
    else if (o.flag === '--mask') view.mask = arg
  })
  return view
}

function decodeConntrack(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'conntrack'}> = {kind: 'conntrack'}
  scan(options, report, (o) => {
    const arg = o.args[0] ?? ''
    if (o.flag === '--ctstate' || o.flag === '--state') view.ctstate = negatable(o, need(parseWordList(arg), o, 'state list'))
    else if (o.flag === '--ctstatus') view.ctstatus = negatable(o, need(parseWordList(arg), o, 'status list'))
    else if (o.flag === '--ctorigdst') view.ctorigdst = negatable(o, arg)
    else if (o.flag === '--ctorigdstport') view.ctorigdstport = negatable(o, need(tryParsePortRange(arg), o, 'port or range'))
  })
  return view
}

function decodeSet(options: Option[], report: OptionIssueReporter): TypedMatch | undefined {
  let view: Extract<TypedMatch, {kind: 'set'}> | undefined
  let returnNomatch = false
  scan(options, report, (o) => {
    if (o.flag === '--match-set' || o.flag === '--set') {
      const flags = need(o.args.length === 2 ? parseSetFlags(o.args[1]) : undefined, o, 'set name and src/dst flags')
      view = {kind: 'set', name: o.args[0], negated: o.negated, flags}
    } else if (o.flag === '--return-nomatch') returnNomatch = true
  })
  if (view && returnNomatch) view.returnNomatch = true
  return view
}

function parseSetFlags(text: string): ('src' | 'dst')[] | undefined {
  const flags = text.split(',')
  return flags.every((f) => f === 'src' || f === 'dst') ? (flags as ('src' | 'dst')[]) : undefined
}

function decodePhysdev(options: Option[], report: OptionIssueReporter): TypedMatch {
  const view: Extract<TypedMatch, {kind: 'physdev'}> = {kind: 'physdev'}
  scan(options, report, (o) => {
    if (o.flag === '--physdev-in') view.physdevIn = negatable(o, o.args[0] ?? '')
    else if (o.flag === '--physdev-out') view.physdevOut = negatable(o, o.args[0] ?? '')
    else if (o.flag === '--physdev-is-in') view.isIn = negatable(o, true as const)
    else if (o.flag === '--physdev-is-out') view.isOut = negatable(o, true as const)
    else if (o.flag === '--physdev-is-bridged') view.isBridged = negatable(o, true as const)
  })
  return view
}

function decodeComment(options: Option[]): TypedMatch | undefined {
  const option = options.find((o) => o.flag === '--comment')
  return option ? {kind: 'comment', comment: option.args[0] ?? ''} : undefined
}

// A Map, not an object literal: module names come from the input (`-m constructor`).
const DECODERS = new Map<string, Decoder>([
  ['comment', decodeComment],
  ['tcp', decodePorts],
  ['udp', decodePorts],
  ['sctp', decodePorts],
  ['udplite', decodePorts],
  ['multiport', decodeMultiport],
  ['statistic', decodeStatistic],
  ['mark', decodeMark],
  ['addrtype', decodeAddrtype],
  ['recent', decodeRecent],
  ['conntrack', decodeConntrack],
  ['state', decodeConntrack],
  ['set', decodeSet],
  ['physdev', decodePhysdev],
])

/** Modules whose options, written after `-p PROTO` without `-m`, belong to an implicit match. */
export const IMPLICIT_PROTOCOL_MODULES = new Set(['tcp', 'udp', 'sctp', 'udplite', 'icmp', 'icmpv6', 'ipv6-icmp'])

/** The Rule's convenience copies (comment, protocol, source, destination): the first of each wins. */
export function noteConvenienceField(rule: Rule, typed: TypedMatch): void {
  if (typed.kind === 'comment') rule.comment ??= typed.comment
  else if (typed.kind === 'protocol') rule.protocol ??= typed.value
  else if (typed.kind === 'source') rule.source ??= typed.value
  else if (typed.kind === 'destination') rule.destination ??= typed.value
}
