/**
 * The iptables evaluator: the first packet of a new connection through a node's tables, hook by
 * hook, as netfilter orders them (docs/packet-path.md):
 *
 *   from the node:  OUTPUT (raw, mangle, nat, filter) → POSTROUTING (mangle, nat)
 *                   → and, when the destination is local, INPUT (mangle, filter, nat) via lo
 *   from outside:   PREROUTING (raw, mangle, nat) → routing on the (DNATed) destination →
 *                   INPUT (mangle, filter, nat)  or  FORWARD (mangle, filter) → POSTROUTING (mangle, nat)
 *
 * Each table's built-in chain ends in its policy. DROP/REJECT end the walk; ACCEPT, DNAT and
 * SNAT end one table's chain for that hook only.
 */
import type {IptablesDump} from '../parse/types.js'
import {cidrContains, normalizeIp, parseCidr, parseIp} from '../net/match.js'
import {type Branch, ChainWalker, lookupChain} from './chain-walk.js'
import type {MatchContext} from './matches.js'
import {fork, withStep, type WalkState} from './state.js'
import type {EntryHook, Hook, Packet, TraceOutcome, TraceStep} from './types.js'

export interface EvaluateOptions {
  /** The node's own addresses (addrtype LOCAL). 127.0.0.0/8 and ::1 are always local. */
  localAddresses: string[]
  /** Known ipset members by set name (`ipset save` contents); unknown sets fork. */
  ipsets?: Record<string, string[]>
  /** Interfaces, when known; otherwise `-i`/`-o` matches fork with an assumption. */
  inIface?: string
  outIface?: string
  /**
   * Connected subnets per interface (`ip -o addr show`): a packet from/to an address inside one
   * is taken to arrive on/leave by that interface; any other address uses `defaultIface`.
   */
  routes?: {name: string; cidr: string}[]
  /** The interface of the default route (assumed: the node's primary address's interface). */
  defaultIface?: string
  /** Force the entry hook; by default OUTPUT when the source is local, else PREROUTING. */
  entry?: EntryHook
  /** Upper bound on forks before giving up (default 100000). */
  maxBranches?: number
}

export interface Evaluation {
  entry: EntryHook
  outcomes: TraceOutcome[]
  warnings: string[]
}

/** Tables in netfilter priority order per hook (raw -300, mangle -150, nat -100/100, filter 0, security 50). */
const HOOK_TABLES: Record<Hook, string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
}

const LOOPBACK_V4 = parseCidr('127.0.0.0/8')

export function localMatcher(addresses: string[]): (address: string) => boolean {
  const local = new Set(addresses.map((a) => normalizeIp(a.replace(/\/\d+$/, ''))))
  return (address: string) => {
    const ip = parseIp(address)
    if (!ip) return false
    if (ip.family === 4 ? cidrContains(LOOPBACK_V4!, ip) : ip.value === 1n) return true
    return local.has(normalizeIp(address))
  }
}

/** Longest-prefix match over connected subnets; undefined (unknown) without routes. */
function routeLookup(opts: EvaluateOptions): (address: string) => string | undefined {
  const routes = (opts.routes ?? []).flatMap((r) => {
    const cidr = parseCidr(r.cidr)
    return cidr ? [{name: r.name, cidr}] : []
  })
  routes.sort((a, b) => (b.cidr.mask > a.cidr.mask ? 1 : -1))
  return (address) => {
    const ip = parseIp(address)
    const hit = ip ? routes.find((r) => cidrContains(r.cidr, ip)) : undefined
    return hit?.name ?? (routes.length > 0 ? opts.defaultIface : undefined)
  }
}

interface Leaf {
  state: WalkState
  end: 'accept' | 'drop' | 'reject'
  verdictStep?: TraceStep
}

/** Traces `packet` through `dump`; outcomes carry their path, probability and assumptions. */
export function evaluatePacket(dump: IptablesDump, packet: Packet, opts: EvaluateOptions): Evaluation {
  const isLocal = localMatcher(opts.localAddresses)
  const primary = (family: 4 | 6) => opts.localAddresses.find((a) => a.includes(':') === (family === 6) && !/^(127\.|::1$)/.test(a))
  const ctx: MatchContext = {isLocal, ipsets: opts.ipsets, primaryAddress: {4: primary(4), 6: primary(6)}}
  const walker = new ChainWalker(dump, ctx, {maxBranches: opts.maxBranches ?? 100_000})
  const entry: EntryHook = opts.entry ?? (isLocal(packet.src) ? 'OUTPUT' : 'PREROUTING')
  const route = routeLookup(opts)
  const inIface = opts.inIface ?? route(packet.src)
  const outIface = (s: WalkState) => opts.outIface ?? (isLocal(s.dst) ? 'lo' : route(s.dst))
  const initial: WalkState = {
    hook: entry, src: packet.src, dst: packet.dst, dport: packet.dport, sport: packet.sport, proto: packet.proto,
    origDst: packet.dst, origDport: packet.dport, mark: 0,
    inIface: entry === 'OUTPUT' ? null : inIface, outIface: null,
    dnat: null, snat: null, acceptedBy: null, probability: 1, path: [], conditions: new Map(), notes: [],
  }
  const leaves: Leaf[] = []
  const run = (states: WalkState[], hook: Hook, adjust: (s: WalkState) => WalkState = (s) => s) =>
    runHook(walker, dump, states.map((s) => fork(s, {hook})), hook, leaves, adjust)
  if (entry === 'OUTPUT') {
    const sent = run(run([initial], 'OUTPUT', (s) => fork(s, {outIface: outIface(s)})), 'POSTROUTING', (s) => fork(s, {outIface: outIface(s)}))
    const [looped, left] = partition(sent, (s) => isLocal(s.dst))
    leaves.push(...left.map((state) => ({state, end: 'accept' as const})))
    const delivered = run(looped, 'INPUT', (s) => fork(s, {inIface: 'lo', outIface: null}))
    leaves.push(...delivered.map((state) => ({state, end: 'accept' as const})))
  } else {
    const routed = run([initial], 'PREROUTING', (s) => fork(s, {outIface: null}))
    const [local, forwarded] = partition(routed, (s) => isLocal(s.dst))
    const delivered = run(local, 'INPUT')
    const sent = run(run(forwarded, 'FORWARD', (s) => fork(s, {outIface: outIface(s)})), 'POSTROUTING')
    leaves.push(...[...delivered, ...sent].map((state) => ({state, end: 'accept' as const})))
  }
  return {entry, outcomes: leaves.map(toOutcome), warnings: walker.warnings}
}

/** Runs every table of one hook; returns the states that pass, pushing stopped ones to `leaves`. */
function runHook(walker: ChainWalker, dump: IptablesDump, states: WalkState[], hook: Hook, leaves: Leaf[], adjust: (s: WalkState) => WalkState): WalkState[] {
  let alive = states
  for (const table of HOOK_TABLES[hook]) {
    const builtin = lookupChain(dump, table, hook)
    if (!builtin) continue
    const next: WalkState[] = []
    // Re-derived per table: a DNAT in nat OUTPUT reroutes the packet before filter OUTPUT.
    for (const state of alive.map(adjust)) {
      for (const branch of walker.walk(state, table, hook)) settle(branch, builtin.chain.policy, builtin.chain.line, table, hook, next, leaves)
    }
    alive = next
  }
  return alive
}

function settle(branch: Branch, policy: string | undefined, line: number | undefined, table: string, hook: Hook, next: WalkState[], leaves: Leaf[]): void {
  if (branch.end === 'drop' || branch.end === 'reject') {
    leaves.push({state: branch.state, end: branch.end, verdictStep: branch.verdictStep})
  } else if (branch.end === 'return' && policy === 'DROP') {
    const step: TraceStep = {
      hook, table, chain: hook, rule: 0, line: line ?? 0, text: `:${hook} DROP`, matched: 'chain policy', probability: branch.state.probability,
    }
    leaves.push({state: withStep(branch.state, step), end: 'drop', verdictStep: step})
  } else {
    next.push(branch.state)
  }
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = []
  const no: T[] = []
  for (const item of items) (test(item) ? yes : no).push(item)
  return [yes, no]
}

function toOutcome(leaf: Leaf): TraceOutcome {
  const {state} = leaf
  const stopped = leaf.end !== 'accept'
  const verdict = leaf.end === 'drop' ? 'DROP' : leaf.end === 'reject' ? 'REJECT' : state.dnat ? 'DNAT' : 'ACCEPT'
  const conditions = [...state.conditions.values()]
  const verdictRule = stopped ? (leaf.verdictStep ?? null) : verdict === 'DNAT' ? state.dnat!.step : state.acceptedBy
  return {
    verdict,
    endpoint: verdict === 'DNAT' ? state.dnat!.endpoint : null,
    probability: state.probability,
    masquerade: state.snat !== null,
    masqueradeRule: state.snat,
    assumptions: [...conditions.map((c) => c.text), ...state.notes],
    path: state.path,
    conditions,
    verdictRule,
  }
}
