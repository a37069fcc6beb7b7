/**
 * One iptables match against the packet state. Three answers are possible: decided (true/false),
 * random (statistic: matches with probability p), or undecided (kpx cannot know: the walk forks
 * and names the assumption). Never guess silently.
 */
import type {Match, Negatable, PortRange, TypedMatch} from '../parse/types.js'
import {cidrContains, isMulticast, parseCidr, parseIp} from '../net/match.js'
import type {WalkState} from './state.js'

export interface MatchContext {
  /** Is this address one of the node's own (addrtype LOCAL)? */
  isLocal(address: string): boolean
  /** Known ipset contents by set name. */
  ipsets?: Record<string, string[]>
  /** A node address per family: where a PREROUTING REDIRECT sends the packet. */
  primaryAddress?: {4?: string; 6?: string}
}

export type MatchAnswer =
  | {kind: 'bool'; value: boolean; summary?: string; note?: string}
  | {kind: 'random'; p: number; summary: string}
  | {kind: 'unknown'; key: string; whenTrue: string; whenFalse: string; summary: string}

const TRUE: MatchAnswer = {kind: 'bool', value: true}
const FALSE: MatchAnswer = {kind: 'bool', value: false}
const NEW_CONNECTION = 'first packet of a new connection (conntrack state NEW)'

/** `2^31`: xt_statistic keeps the probability as a u32 fraction of it. */
const STATISTIC_SCALE = 0x80000000

/**
 * The probability the kernel actually applies for `--probability p`. iptables stores
 * `lround(p * 2^31)` (measured: 0.1 is saved back as 0.10000000009, 0.33333 as
 * 0.33332999982) and the kernel matches when `(random & 0x7FFFFFFF) < stored`.
 */
export function quantizeProbability(p: number): number {
  return Math.min(STATISTIC_SCALE, Math.max(0, Math.round(p * STATISTIC_SCALE))) / STATISTIC_SCALE
}

function bool(value: boolean, summary?: string): MatchAnswer {
  return value ? {kind: 'bool', value, summary} : FALSE
}

function not(text: string, negated: boolean): string {
  return negated ? `! ${text}` : text
}

function inRange(port: number, range: PortRange): boolean {
  return port >= range.from && port <= range.to
}

function rangeText(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}:${r.to}`
}

function addressMatch(label: string, spec: Negatable<string>, address: string): MatchAnswer {
  const cidr = parseCidr(spec.value)
  const ip = parseIp(address)
  if (!cidr || !ip) return unknown(`${label}:${spec.value}`, `${label} ${spec.value}`)
  return bool(cidrContains(cidr, ip) !== spec.negated, not(`${label} ${spec.value}`, spec.negated))
}

function protocolMatch(spec: Negatable<string>, proto: string): MatchAnswer {
  const numbers: Record<string, string> = {'6': 'tcp', '17': 'udp', '132': 'sctp'}
  const wanted = numbers[spec.value] ?? spec.value.toLowerCase()
  const hit = wanted === 'all' || wanted === '0' || wanted === proto
  return bool(hit !== spec.negated, not(`proto ${spec.value}`, spec.negated))
}

function unknown(key: string, what: string): MatchAnswer {
  return {kind: 'unknown', key, whenTrue: `${what}: assumed to match`, whenFalse: `${what}: assumed not to match`, summary: what}
}

/** iptables interface names: `eth+` is a prefix wildcard. */
function ifaceMatch(label: 'in' | 'out', spec: Negatable<string>, iface: string | null | undefined, state: WalkState): MatchAnswer {
  const pattern = spec.value
  const hits = (name: string) => (pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern)
  const text = not(`${label === 'in' ? '-i' : '-o'} ${pattern}`, spec.negated)
  if (iface === null) return bool(spec.negated, text)
  if (iface !== undefined) return bool(hits(iface) !== spec.negated, text)
  // A packet from outside never arrives on loopback.
  if (label === 'in' && pattern === 'lo') return bool(spec.negated, text)
  // Already assumed to be on a specific other interface: cannot also be on this one.
  for (const condition of state.conditions.values()) {
    const other = condition.key.startsWith(`iface:${label}:`) ? condition.key.slice(`iface:${label}:`.length) : null
    if (condition.holds && other && !other.endsWith('+') && !pattern.endsWith('+') && other !== pattern) {
      return bool(spec.negated, text)
    }
  }
  const answer = unknown(`iface:${label}:${pattern}`, `${label}put interface ${pattern}`)
  return spec.negated ? negateUnknown(answer, text) : answer
}

function negateUnknown(answer: MatchAnswer, summary: string): MatchAnswer {
  if (answer.kind !== 'unknown') return answer
  // The condition key stays the positive question; the rule matches when it does not hold.
  return {kind: 'unknown', key: '!' + answer.key, whenTrue: answer.whenFalse, whenFalse: answer.whenTrue, summary}
}

function portsMatch(m: Extract<TypedMatch, {kind: 'ports'}>, module: string | null, state: WalkState): MatchAnswer {
  if (module && module !== state.proto) return FALSE
  const parts: string[] = []
  if (m.dport) {
    if (inRange(state.dport, m.dport.value) === m.dport.negated) return FALSE
    parts.push(not(`dport ${rangeText(m.dport.value)}`, m.dport.negated))
  }
  if (m.sport) {
    if (state.sport === undefined) return unknown(`sport:${rangeText(m.sport.value)}`, `source port ${rangeText(m.sport.value)}`)
    if (inRange(state.sport, m.sport.value) === m.sport.negated) return FALSE
  }
  // The first packet of a TCP connection is a bare SYN.
  if (m.syn && m.syn.negated) return FALSE
  if (m.tcpFlags) {
    const set = new Set(['SYN'])
    const {mask, comp} = m.tcpFlags.value
    const allMask = mask.includes('ALL') ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH'] : mask
    const hit = allMask.every((flag) => set.has(flag) === (comp.includes(flag) || comp.includes('ALL')))
    if (hit === m.tcpFlags.negated) return FALSE
  }
  // `-m tcp` with no port says nothing the protocol match has not said already.
  return {kind: 'bool', value: true, summary: parts.length > 0 ? `${state.proto} ${parts.join(' ')}` : undefined}
}

function multiportMatch(m: Extract<TypedMatch, {kind: 'multiport'}>, state: WalkState): MatchAnswer {
  const spec = m.dports ?? m.ports
  if (spec) {
    const hit = spec.value.some((r) => inRange(state.dport, r) || (m.ports && state.sport !== undefined && inRange(state.sport, r)))
    if (hit === spec.negated) return FALSE
  }
  if (m.sports) return unknown(`sports:${m.sports.value.map(rangeText).join(',')}`, 'multiport source ports')
  return bool(true, spec ? not(`dports ${spec.value.map(rangeText).join(',')}`, spec.negated) : undefined)
}

function addressType(address: string, ctx: MatchContext): string {
  if (ctx.isLocal(address)) return 'LOCAL'
  const ip = parseIp(address)
  if (ip && isMulticast(ip)) return 'MULTICAST'
  if (ip && ip.family === 4 && ip.value === 0xffffffffn) return 'BROADCAST'
  return 'UNICAST'
}

function addrtypeMatch(m: Extract<TypedMatch, {kind: 'addrtype'}>, state: WalkState, ctx: MatchContext): MatchAnswer {
  const parts: string[] = []
  let note: string | undefined
  for (const [side, spec, address] of [['src', m.srcType, state.src], ['dst', m.dstType, state.dst]] as const) {
    if (!spec) continue
    const type = addressType(address, ctx)
    if (type === 'UNICAST' && !spec.value.includes('UNICAST') && spec.value.some((t) => t !== 'LOCAL' && t !== 'MULTICAST' && t !== 'BROADCAST')) {
      return unknown(`addrtype:${side}:${spec.value.join(',')}`, `${side} ${address} of type ${spec.value.join(',')}`)
    }
    if (type === 'UNICAST') note = `${address} assumed to be a routable unicast address (addrtype)`
    if (spec.value.includes(type) === spec.negated) return FALSE
    parts.push(not(`${side}-type ${spec.value.join(',')}`, spec.negated))
  }
  return {kind: 'bool', value: true, summary: `addrtype ${parts.join(' ')}`, note}
}

function conntrackMatch(m: Extract<TypedMatch, {kind: 'conntrack'}>, state: WalkState): MatchAnswer {
  const parts: string[] = []
  if (m.ctstate) {
    const states = new Set(['NEW'])
    if (state.dnat) states.add('DNAT')
    if (state.snat) states.add('SNAT')
    if (m.ctstate.value.some((s) => states.has(s.toUpperCase())) === m.ctstate.negated) return FALSE
    parts.push(not(`ctstate ${m.ctstate.value.join(',')}`, m.ctstate.negated))
  }
  if (m.ctorigdst) {
    const answer = addressMatch('ctorigdst', m.ctorigdst, state.origDst)
    if (answer.kind !== 'bool' || !answer.value) return answer
  }
  if (m.ctorigdstport && inRange(state.origDport, m.ctorigdstport.value) === m.ctorigdstport.negated) return FALSE
  if (m.ctstatus) return unknown(`ctstatus:${m.ctstatus.value.join(',')}`, `conntrack status ${m.ctstatus.value.join(',')}`)
  return {kind: 'bool', value: true, summary: parts.join(' ') || undefined, note: NEW_CONNECTION}
}

function setMatch(m: Extract<TypedMatch, {kind: 'set'}>, state: WalkState, ctx: MatchContext): MatchAnswer {
  const members = ctx.ipsets?.[m.name]
  const what = not(`ipset ${m.name} ${m.flags.join(',')}`, m.negated)
  if (!members) return m.negated ? negateUnknown(unknown(`set:${m.name}:${m.flags.join(',')}`, `packet in ipset ${m.name}`), what) : unknown(`set:${m.name}:${m.flags.join(',')}`, `packet in ipset ${m.name}`)
  const values = m.flags.map((flag, i) => (flag === 'src' ? (i === 0 ? state.src : `${state.proto}:${state.sport}`) : i === 0 ? state.dst : `${state.proto}:${state.dport}`))
  const hit = members.some((member) => {
    const parts = member.split(',')
    return parts.every((part, i) => {
      if (i >= values.length) return true
      const cidr = parseCidr(part)
      const ip = parseIp(values[i])
      return cidr && ip ? cidrContains(cidr, ip) : part === values[i] || `tcp:${part}` === values[i]
    })
  })
  return bool(hit !== m.negated, what)
}

function markMatch(m: Extract<TypedMatch, {kind: 'mark'}>, state: WalkState): MatchAnswer {
  const {value, mask} = m.value.value
  const hit = ((state.mark & mask) >>> 0) === value >>> 0
  const text = not(`mark 0x${value.toString(16)}/0x${mask.toString(16)}`, m.value.negated)
  return hit === m.value.negated ? FALSE : {kind: 'bool', value: true, summary: text, note: 'packet mark is 0 when it enters netfilter'}
}

function recentMatch(m: Extract<TypedMatch, {kind: 'recent'}>): MatchAnswer {
  const name = m.name ?? 'DEFAULT'
  if (m.command === 'set') return {kind: 'bool', value: !m.negated, summary: `recent set ${name}`}
  const answer: MatchAnswer = {
    kind: 'unknown',
    key: `recent:${name}:${m.side ?? 'source'}`,
    whenTrue: `client already has session affinity (recent list ${name})`,
    whenFalse: `client has no session affinity entry in recent list ${name}`,
    summary: `recent ${m.command ?? 'rcheck'} ${name}${m.seconds ? ` --seconds ${m.seconds}` : ''}`,
  }
  return m.negated ? negateUnknown(answer, `! ${answer.summary}`) : answer
}

function statisticMatch(m: Extract<TypedMatch, {kind: 'statistic'}>): MatchAnswer {
  if (m.mode === 'random' && m.probability !== undefined) {
    const p = quantizeProbability(m.probability)
    return {kind: 'random', p: m.negated ? 1 - p : p, summary: not(`random p=${m.probabilityText ?? m.probability}`, m.negated)}
  }
  const every = m.every ?? 1
  return {kind: 'random', p: m.negated ? 1 - 1 / every : 1 / every, summary: `nth every ${every} (treated as 1/${every})`}
}

/** Decides one match against the packet. */
export function evaluateMatch(match: Match, state: WalkState, ctx: MatchContext): MatchAnswer {
  const typed = match.typed
  if (!typed) {
    if (match.module === 'comment') return TRUE
    const words = match.options.map((o) => `${o.negated ? '! ' : ''}${o.flag} ${o.args.join(' ')}`.trim()).join(' ')
    return unknown(`module:${match.module}:${words}`, `-m ${match.module ?? '?'} ${words}`.trim())
  }
  switch (typed.kind) {
    case 'comment': return TRUE
    case 'source': return addressMatch('src', typed.value, state.src)
    case 'destination': return addressMatch('dst', typed.value, state.dst)
    case 'protocol': return protocolMatch(typed.value, state.proto)
    case 'in-interface': return ifaceMatch('in', typed.value, state.inIface, state)
    case 'out-interface': return ifaceMatch('out', typed.value, state.outIface, state)
    case 'fragment': return bool(typed.negated, '! -f')
    case 'ports': return portsMatch(typed, match.module, state)
    case 'multiport': return multiportMatch(typed, state)
    case 'statistic': return statisticMatch(typed)
    case 'mark': return markMatch(typed, state)
    case 'addrtype': return addrtypeMatch(typed, state, ctx)
    case 'recent': return recentMatch(typed)
    case 'conntrack': return conntrackMatch(typed, state)
    case 'set': return setMatch(typed, state, ctx)
    case 'physdev': return unknown(`physdev:${JSON.stringify(typed)}`, 'physdev (bridge port) match')
  }
}
