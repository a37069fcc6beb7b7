/**
 * The packet as netfilter sees it at one point of the walk, plus what the walk has learned.
 * States are immutable: a fork copies, so sibling branches never see each other's changes.
 */
import type {Hook, Protocol, TraceCondition, TraceStep} from './types.js'

export interface WalkState {
  hook: Hook
  src: string
  dst: string
  dport: number
  sport?: number
  proto: Protocol
  /** Destination before any DNAT (conntrack's original tuple). */
  origDst: string
  origDport: number
  /** The packet mark (skb->mark), u32. */
  mark: number
  /** Input/output interface: a name, null when the hook has none, undefined when unknown. */
  inIface: string | null | undefined
  outIface: string | null | undefined
  /** Where DNAT sent the packet (endpoint text) and the rule that did it. */
  dnat: {endpoint: string; step: TraceStep} | null
  snat: TraceStep | null
  /** The last rule that explicitly ACCEPTed the packet (filter INPUT/FORWARD/OUTPUT and friends). */
  acceptedBy: TraceStep | null
  probability: number
  path: TraceStep[]
  /** Undecided conditions answered on this branch, by key (answered once per branch). */
  conditions: Map<string, TraceCondition>
  /** Notes on defaults kpx relied on (deduplicated, in order). */
  notes: string[]
}

export function fork(state: WalkState, changes: Partial<WalkState> = {}): WalkState {
  return {...state, ...changes}
}

export function withStep(state: WalkState, step: TraceStep): WalkState {
  return fork(state, {path: [...state.path, step]})
}

export function withNote(state: WalkState, note: string): WalkState {
  return state.notes.includes(note) ? state : fork(state, {notes: [...state.notes, note]})
}

export function withCondition(state: WalkState, condition: TraceCondition): WalkState {
  const conditions = new Map(state.conditions)
  conditions.set(condition.key, condition)
  return fork(state, {conditions})
}
