/**
 * Walking one table's chains the way netfilter does for one hook: rules in order, every match
 * ANDed, `-j` returns to the caller at the chain's end or RETURN, `-g` does not, a fork inside a
 * chain continues the walk on each branch. Verdicts end the table for this hook.
 */
import {InputError} from '../errors.js'
import {chainsByName, destinationOf} from '../parse/index.js'
import type {Chain, IptablesDump, Rule} from '../parse/types.js'
import {formatHostPort, normalizeIp} from '../net/match.js'
import {evaluateMatch, type MatchContext} from './matches.js'
import {fork, withCondition, withNote, withStep, type WalkState} from './state.js'
import type {TraceStep} from './types.js'

export const MAX_JUMP_DEPTH = 64

/** Targets that only log, mark or tweak headers: the walk goes on to the next rule. */
const NON_TERMINATING = new Set([
  'LOG', 'NFLOG', 'ULOG', 'CONNMARK', 'CT', 'NOTRACK', 'TRACE', 'CHECKSUM', 'TCPMSS', 'DSCP', 'TOS', 'TTL', 'HL',
  'SET', 'AUDIT', 'CLASSIFY', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED', 'RATEEST', 'TCPOPTSTRIP', 'ECN', 'HMARK',
])

/** How a walk through a chain ended: fell off / RETURNed, or a verdict for the table. */
export interface Branch {
  state: WalkState
  end: 'return' | 'accept' | 'drop' | 'reject'
  /** The rule that gave the verdict (absent for chain ends). */
  verdictStep?: TraceStep
}

type Continuation = Branch | {state: WalkState; end: 'next'}

interface ChainIndex {
  chain: Chain
  /**
   * Per rule, the single host a `-d a.b.c.d/32` rule requires (normalised), or null. Lets a
   * 10k-service KUBE-SERVICES be scanned with one string compare per rule.
   */
  hostDst: (string | null)[]
}

/** Per dump: the ChainIndex of the chains walked so far, by table and name; null for a name that is no chain (a verdict: looked up for every rule that matched). */
const indexes = new WeakMap<IptablesDump, Map<string, ChainIndex | null>>()

function ruleHostDst(rule: Rule): string | null {
  // Read from the line where it can be: decoding a 10k-rule KUBE-SERVICES costs more than the walk.
  const d = destinationOf(rule)
  if (!d || d.negated) return null
  const slash = d.value.indexOf('/')
  const host = slash < 0 ? d.value : d.value.slice(0, slash)
  const prefix = slash < 0 ? null : d.value.slice(slash + 1)
  const full = host.includes(':') ? '128' : '32'
  if (prefix !== null && prefix !== full) return null
  return host.includes(':') ? normalizeIp(host) : host
}

/**
 * Finds a chain. Its per-rule index is built the first time the chain is walked, not for the
 * whole dump: with lazily parsed rules, reading every rule's destination would decode them all.
 */
export function lookupChain(dump: IptablesDump, table: string, chain: string): ChainIndex | undefined {
  let walkedChains = indexes.get(dump)
  if (!walkedChains) {
    walkedChains = new Map()
    indexes.set(dump, walkedChains)
  }
  const key = `${table}\u0000${chain}`
  let walked = walkedChains.get(key)
  if (walked === undefined) {
    const t = dump.tables.find((candidate) => candidate.name === table)
    const c = t && chainsByName(t).get(chain)
    walked = c ? {chain: c, hostDst: c.rules.map(ruleHostDst)} : null
    walkedChains.set(key, walked)
  }
  return walked ?? undefined
}

export interface WalkLimits {
  maxBranches: number
}

export class ChainWalker {
  readonly warnings: string[] = []
  private branches = 1

  constructor(
    private readonly dump: IptablesDump,
    private readonly ctx: MatchContext,
    private readonly limits: WalkLimits,
  ) {}

  /** Walks `table`/`chainName` from its first rule. `stack` holds the chains above it. */
  walk(state: WalkState, table: string, chainName: string, stack: string[] = []): Branch[] {
    const found = lookupChain(this.dump, table, chainName)
    if (!found) {
      this.warn(`chain ${table}/${chainName} is jumped to but not in the dump; treated as empty`)
      return [{state, end: 'return'}]
    }
    if (stack.includes(chainName)) {
      throw new InputError(`jump loop in table ${table}: ${[...stack, chainName].join(' -> ')}`, [], 'jump-loop')
    }
    if (stack.length >= MAX_JUMP_DEPTH) {
      throw new InputError(`jumps nest deeper than ${MAX_JUMP_DEPTH} chains in table ${table} at ${chainName}`, [], 'jump-loop')
    }
    return this.walkFrom(state, table, found, 0, [...stack, chainName])
  }

  private walkFrom(initial: WalkState, table: string, index: ChainIndex, from: number, stack: string[]): Branch[] {
    const out: Branch[] = []
    const rules = index.chain.rules
    const dst = initial.dst.includes(':') ? normalizeIp(initial.dst) : initial.dst
    let state = initial
    for (let i = from; i < rules.length; i++) {
      const host = index.hostDst[i]
      if (host !== null && host !== dst) continue
      const {matched, unmatched} = this.matchRule(state, rules[i])
      for (const hit of matched) {
        for (const next of this.applyTarget(hit.state, table, rules[i], hit.summary, stack)) {
          if (next.end === 'next') out.push(...this.walkFrom(next.state, table, index, i + 1, stack))
          else out.push(next)
        }
      }
      // The common case (no fork, or a fork with a single fall-through) continues in this loop,
      // so a 10k-endpoint cascade does not recurse 10k deep.
      if (unmatched.length === 0) return out
      if (unmatched.length > 1) {
        for (const rest of unmatched) out.push(...this.walkFrom(rest, table, index, i + 1, stack))
        return out
      }
      state = unmatched[0]
    }
    out.push({state, end: 'return'})
    return out
  }

  /** ANDs the rule's matches; forks on random and undecided ones. */
  private matchRule(state: WalkState, rule: Rule): {matched: {state: WalkState; summary: string[]}[]; unmatched: WalkState[]} {
    let partials = [{state, summary: [] as string[]}]
    const unmatched: WalkState[] = []
    for (const match of rule.matches) {
      const next: typeof partials = []
      for (const p of partials) {
        const answer = evaluateMatch(match, p.state, this.ctx)
        if (answer.kind === 'bool') {
          if (!answer.value) unmatched.push(p.state)
          else next.push({state: answer.note ? withNote(p.state, answer.note) : p.state, summary: answer.summary ? [...p.summary, answer.summary] : p.summary})
        } else if (answer.kind === 'random') {
          if (answer.p > 0) next.push({state: scale(p.state, answer.p), summary: [...p.summary, answer.summary]})
          if (answer.p < 1) unmatched.push(scale(p.state, 1 - answer.p))
        } else {
          const negated = answer.key.startsWith('!')
          const key = negated ? answer.key.slice(1) : answer.key
          const known = p.state.conditions.get(key)
          if (known) {
            if (known.holds !== negated) next.push({state: p.state, summary: [...p.summary, answer.summary]})
            else unmatched.push(p.state)
            continue
          }
          this.countFork()
          next.push({state: withCondition(p.state, {key, holds: !negated, text: answer.whenTrue}), summary: [...p.summary, answer.summary]})
          unmatched.push(withCondition(p.state, {key, holds: negated, text: answer.whenFalse}))
        }
      }
      partials = next
      if (partials.length === 0) break
    }
    if (partials.length + unmatched.length > 1) this.countFork()
    return {matched: partials, unmatched}
  }

  private applyTarget(state: WalkState, table: string, rule: Rule, summary: string[], stack: string[]): Continuation[] {
    const step: TraceStep = {
      hook: state.hook, table, chain: rule.chain, rule: rule.index, line: rule.line, text: rule.raw,
      matched: summary.join(', ') || 'always', probability: state.probability,
    }
    const here = withStep(state, step)
    const target = rule.target
    if (!target) return [{state: here, end: 'next'}]
    const typed = target.typed
    const isChain = lookupChain(this.dump, table, target.name) !== undefined || typed?.kind === 'jump'
    if (isChain) {
      const sub = this.walk(here, table, target.name, stack)
      // -g: the chain we went to returns straight to our caller.
      if (target.goto) return sub
      return sub.map((b) => (b.end === 'return' ? {state: b.state, end: 'next'} : b))
    }
    switch (target.name) {
      case 'ACCEPT': return [{state: fork(here, {acceptedBy: step}), end: 'accept', verdictStep: step}]
      case 'DROP': return [{state: here, end: 'drop', verdictStep: step}]
      case 'REJECT': return [{state: here, end: 'reject', verdictStep: step}]
      case 'RETURN': return [{state: here, end: 'return'}]
      case 'QUEUE':
      case 'NFQUEUE': return [{state: withNote(here, `${target.name} hands the packet to userspace; assumed accepted`), end: 'accept', verdictStep: step}]
      case 'DNAT': return [this.dnat(here, rule, step)]
      case 'REDIRECT': return [this.redirect(here, rule, step)]
      case 'SNAT':
      case 'MASQUERADE': return [{state: fork(here, {snat: step}), end: 'accept', verdictStep: step}]
      case 'MARK': return [{state: applyMark(here, rule), end: 'next'}]
      default:
        if (NON_TERMINATING.has(target.name)) return [{state: here, end: 'next'}]
        return [{state: withNote(here, `target ${target.name} treated as non-terminating`), end: 'next'}]
    }
  }

  private dnat(state: WalkState, rule: Rule, step: TraceStep): Continuation {
    const typed = rule.target?.typed
    const range = typed?.kind === 'dnat' ? typed.to[0] : undefined
    const fallback = rule.target?.options.find((o) => o.flag === '--to-destination')?.args[0]
    let address = range?.addressFrom
    let port = range?.portFrom
    if (!range && fallback) {
      const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(fallback)
      address = m?.[1]
      port = m?.[2] ? Number(m[2]) : undefined
    }
    let next = state
    if (range && (range.addressTo !== range.addressFrom || range.portTo !== range.portFrom)) {
      next = withNote(next, `DNAT range ${range.text}: traced to its first address and port`)
    }
    const dst = (address ?? state.dst).replace(/^\[|\]$/g, '')
    const dport = port ?? state.dport
    return {state: fork(next, {dst, dport, dnat: {endpoint: formatHostPort(dst, dport), step}}), end: 'accept', verdictStep: step}
  }

  private redirect(state: WalkState, rule: Rule, step: TraceStep): Continuation {
    const typed = rule.target?.typed
    const port = typed?.kind === 'redirect' && typed.toPorts ? typed.toPorts.from : state.dport
    // REDIRECT sends to the primary address of the incoming interface (loopback when
    // node-sourced): a local address either way, so the packet is delivered (INPUT), not forwarded.
    const v6 = state.dst.includes(':')
    const loopback = v6 ? '::1' : '127.0.0.1'
    const dst = state.hook === 'OUTPUT' ? loopback : (this.ctx.primaryAddress?.[v6 ? 6 : 4] ?? loopback)
    return {state: fork(state, {dst, dport: port, dnat: {endpoint: formatHostPort(dst, port), step}}), end: 'accept', verdictStep: step}
  }

  private countFork(): void {
    this.branches++
    if (this.branches > this.limits.maxBranches) {
      throw new InputError(`trace explodes into more than ${this.limits.maxBranches} branches; narrow the packet (--src, interfaces)`, [], 'too-many-branches')
    }
  }

  private warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message)
  }
}

function scale(state: WalkState, p: number): WalkState {
  return fork(state, {probability: state.probability * p})
}

/**
 * MARK target (xt_MARK). The parser normalises every form (set-mark, or-mark, ...) to the
 * kernel's xmark pair, so one formula covers them: `(mark & ~mask) ^ value`.
 */
function applyMark(state: WalkState, rule: Rule): WalkState {
  const typed = rule.target?.typed
  if (typed?.kind !== 'mark') return withNote(state, `MARK target not understood: ${rule.raw}`)
  return fork(state, {mark: ((state.mark & ~typed.mask) ^ typed.value) >>> 0})
}
