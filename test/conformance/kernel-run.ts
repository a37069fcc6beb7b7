/**
 * Drives the kernel lab for the tracer conformance tests: loads a ruleset, then for each target
 * traces it with kpx, sends N real connections, reads the counter delta and judges it.
 */
import {isIPv6} from 'node:net'

import {parseRules} from '../../src/lib/parse/index.js'
import type {IptablesDump} from '../../src/lib/parse/types.js'
import {evaluatePacket} from '../../src/lib/trace/iptables.js'
import type {TraceOutcome} from '../../src/lib/trace/types.js'
import {countersDelta, type Lab, type RuleCounters, type SendResult} from '../helpers/netns.js'
import {type Discrepancy, formatDiscrepancies, judge} from './referee.js'

export interface KernelTarget {
  name: string
  src: string
  dst: string
  port: number
  proto: 'tcp' | 'udp'
}

export interface TargetVerdict {
  target: KernelTarget
  from: 'node' | 'client'
  n: number
  outcomes: TraceOutcome[]
  discrepancies: Discrepancy[]
  /** 2 when a statistical deviation was re-measured. */
  runs: number
}

/** Connections per target: enough for 4σ share checks where kpx forks, few where it does not. */
export const FORKED_COUNT = 1000
export const SINGLE_COUNT = 100

// Errors the first packet can legitimately cause locally: netfilter dropped it in OUTPUT
// (EPERM) or a REJECT answered before the socket was destroyed.
const EXPECTED_SEND_ERRORS = new Set(['EPERM', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'])

const LOOPBACK = /^(127\.|::1$)/

/** Sends from the node when the source is one of its addresses (nat OUTPUT), else from the client. */
export function sideFor(src: string, nodeIps: string[]): 'node' | 'client' {
  return nodeIps.includes(src) || LOOPBACK.test(src) ? 'node' : 'client'
}

function senderProblem(target: KernelTarget, n: number, result: SendResult): Discrepancy | undefined {
  const unexpected = Object.entries(result.errors).filter(([code]) => !EXPECTED_SEND_ERRORS.has(code))
  const accounted = result.sent + Object.values(result.errors).reduce((a, b) => a + b, 0)
  if (unexpected.length === 0 && accounted === n) return undefined
  return {
    check: 'a', rule: '-', text: `${target.src} → ${target.dst}:${target.port}/${target.proto}`, predicted: n, counted: result.sent,
    message: `the sender could not produce ${n} first packets: ${JSON.stringify(result.errors)}`, statistical: false,
  }
}

export class KernelReferee {
  private counters: RuleCounters | undefined
  private dump: IptablesDump | undefined

  constructor(
    private readonly lab: Lab,
    private readonly nodeIps: string[],
  ) {}

  /** Loads `text` into the node and parses the kernel's own rendering of it for tracing. */
  async load(text: string, family: 4 | 6, backend: 'legacy' | 'nft' = 'nft'): Promise<IptablesDump> {
    await this.lab.loadRules(text, {backend, family})
    this.dump = parseRules(await this.lab.saveRules({family, backend}), {family})
    this.counters = await this.lab.counters({family, backend})
    return this.dump
  }

  /**
   * Traces `target` with kpx (on the loaded dump, or on `traceDump` — the negative control
   * traces a deliberately wrong dump), sends it, and judges the counters.
   */
  async referee(target: KernelTarget, traceDump?: IptablesDump): Promise<TargetVerdict> {
    const dump = traceDump ?? this.dump
    if (!dump) throw new Error('load() a ruleset first')
    const family = isIPv6(target.dst) ? 6 : 4
    const evaluation = evaluatePacket(dump, {src: target.src, dst: target.dst, proto: target.proto, dport: target.port}, {localAddresses: this.nodeIps})
    const from = sideFor(target.src, this.nodeIps)
    const n = evaluation.outcomes.length > 1 ? FORKED_COUNT : SINGLE_COUNT
    let discrepancies = await this.measure(target, from, n, evaluation.outcomes, family)
    let runs = 1
    if (discrepancies.length > 0 && discrepancies.every((d) => d.statistical)) {
      // A 4σ miss happens by chance once in ~16,000 checks; a real bug repeats.
      discrepancies = await this.measure(target, from, n, evaluation.outcomes, family)
      runs = 2
    }
    if ((evaluation.entry === 'OUTPUT') !== (from === 'node')) {
      discrepancies.push({check: 'a', rule: '-', text: target.src, predicted: 0, counted: 0, statistical: false, message: `kpx enters at ${evaluation.entry}, the kernel at ${from === 'node' ? 'OUTPUT' : 'PREROUTING'}`})
    }
    return {target, from, n, outcomes: evaluation.outcomes, discrepancies, runs}
  }

  private async measure(target: KernelTarget, from: 'node' | 'client', n: number, outcomes: TraceOutcome[], family: 4 | 6): Promise<Discrepancy[]> {
    const before = this.counters ?? (await this.lab.counters({family}))
    const [result] = await this.lab.sendBatch([{from, src: target.src, dst: target.dst, port: target.port, proto: target.proto, count: n}])
    const after = await this.lab.counters({family})
    this.counters = after
    const problem = senderProblem(target, n, result)
    return [...(problem ? [problem] : []), ...judge({outcomes}, countersDelta(before, after), n)]
  }
}

/** Assertion text for failed targets: what kpx predicted and what the kernel counted, rule by rule. */
export function describeFailures(verdicts: TargetVerdict[]): string {
  return verdicts
    .filter((v) => v.discrepancies.length > 0)
    .map((v) => {
      const predicted = v.outcomes.map((o) => `${o.verdict}${o.endpoint ? ' ' + o.endpoint : ''} p=${o.probability.toFixed(4)}${o.masquerade ? ' masq' : ''}`).join('; ')
      const title = `✗ ${v.target.name}: ${v.target.src} → ${v.target.dst}:${v.target.port}/${v.target.proto} from ${v.from}, N=${v.n}, runs=${v.runs}\n  kpx: ${predicted}`
      return formatDiscrepancies(title, v.discrepancies)
    })
    .join('\n')
}
