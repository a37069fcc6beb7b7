/**
 * The kernel lab: a throw-away "node" network namespace that holds iptables rules, and a
 * "client" namespace behind a veth pair that plays a pod or an outside host. Tests load
 * kube-proxy rules into the node, send real new connections, and read the kernel's per-rule
 * packet counters, so the kernel referees what kpx predicts (DESIGN.md, "The real kernel is
 * the oracle").
 *
 *   client ns                          node ns
 *   lo: clientIps (+ any src sent)     lo; kpx0 (ifb): nodeIps, default route (v4 and v6)
 *   veth-n 169.254.77.2/30  <------->  veth-c 169.254.77.1/30 (fd00:77::1/64)
 *
 * Why it is built this way:
 * - The node's default route points at an ifb device, so any DNATed destination (a pod IP,
 *   anything) is routable: the first packet traverses PREROUTING/OUTPUT, FORWARD/INPUT and
 *   POSTROUTING, then the ifb silently drops it (ifb is NOARP and discards whatever was not
 *   redirected to it by tc: a `dummy` device without the dummy module, which CI kernels lack). A blackhole route would drop it at routing,
 *   before FORWARD, and would make connect(2) fail before nat OUTPUT.
 * - rp_filter=0 and accept_local=1 on the node, so spoofed client sources reach PREROUTING;
 *   route_localnet=1, as kube-proxy sets it, so NodePorts on 127.0.0.1 are DNATed.
 * - The client sends *everything* it originates to the node (policy rule `iif lo` ahead of the
 *   local table), even to its own addresses: kube-proxy's cases include "source 1.2.3.4 to
 *   1.2.3.4". Its source addresses live on its lo; `send` adds missing ones on demand.
 * - Connections come from test/helpers/send-connections.js, one process per batch, with
 *   explicit distinct source ports; conntrack is flushed before every batch so that every
 *   attempt is a NEW connection that traverses the nat table exactly once.
 *
 * Namespaces are named `${prefix}<pid><n>-node` / `-cli`; give each suite its own prefix.
 * `close()` is idempotent and also runs at process exit.
 */
import {isIPv6} from 'node:net'

import {countRules, type RuleCounters} from './netns-counters.js'
import {run, runSyncQuietly} from './netns-exec.js'
import {SenderProcess, type SendResult} from './netns-sender.js'
import {hostPrefix, NODE_LINK, plumbClient, plumbNode} from './netns-setup.js'

export {countersDelta, type RuleCount, type RuleCounters} from './netns-counters.js'
export {requireRoot} from './netns-require.js'
export type {SendResult} from './netns-sender.js'

export type Backend = 'legacy' | 'nft'
export type Family = 4 | 6

export interface LabOptions {
  /** Namespace name prefix, unique per suite (e.g. 'kpxK-'). */
  prefix: string
  /** The node's own addresses (addrtype LOCAL), IPv4 and/or IPv6. */
  nodeIps: string[]
  /** Extra routes on the node towards pod networks (the default route already covers them). */
  podCidrs?: string[]
  /** Source addresses the client owns from the start. */
  clientIps?: string[]
}

export interface RulesetSpec {
  backend: Backend
  family: Family
}

export interface SendSpec {
  /** 'node': OUTPUT path (src must be a node address); 'client': PREROUTING path via the veth. */
  from: 'node' | 'client'
  src?: string
  dst: string
  port: number
  proto: 'tcp' | 'udp'
  /** Number of new connections, each from its own source port. */
  count: number
}

const FIRST_SOURCE_PORT = 10_000
const MAX_SOURCE_PORTS = 55_000
const live = new Set<Lab>()
let labCounter = 0

process.on('exit', () => {
  for (const lab of live) lab.closeSync()
})

function restoreBinary(spec: RulesetSpec, verb: 'restore' | 'save' | ''): string {
  const base = `${spec.family === 6 ? 'ip6tables' : 'iptables'}-${spec.backend}`
  return verb ? `${base}-${verb}` : base
}

export class Lab {
  readonly nodeNs: string
  readonly clientNs: string
  private readonly clientAddresses = new Set<string>()
  /** The backend last loaded per family, so that save/counters default to it. */
  private readonly loaded = new Map<Family, Backend>()
  private readonly senders = new Map<'node' | 'client', SenderProcess>()
  private closed = false

  constructor(readonly options: LabOptions) {
    const id = `${process.pid.toString(36)}${labCounter++}`
    this.nodeNs = `${options.prefix}${id}-node`
    this.clientNs = `${options.prefix}${id}-cli`
  }

  /** Creates both namespaces and their plumbing; on failure removes whatever was made. */
  async setUp(): Promise<void> {
    live.add(this)
    try {
      await run(['ip', 'netns', 'add', this.nodeNs])
      await run(['ip', 'netns', 'add', this.clientNs])
      await plumbNode(this.nodeNs, this.clientNs, this.options)
      await plumbClient(this.nodeNs, this.clientNs)
      for (const ip of this.options.clientIps ?? []) await this.addClientAddress(ip)
    } catch (error) {
      await this.close()
      throw error
    }
  }

  private async addClientAddress(ip: string): Promise<void> {
    if (this.clientAddresses.has(ip)) return
    const extra = isIPv6(ip) ? ['nodad'] : []
    await run(['ip', '-n', this.clientNs, 'addr', 'add', hostPrefix(ip), 'dev', 'lo', ...extra])
    this.clientAddresses.add(ip)
  }

  /**
   * Replaces the tables named in `text` (iptables-restore semantics). Tables of the *other*
   * backend in the same family are flushed first, so only one set of rules is live.
   */
  async loadRules(text: string, spec: RulesetSpec): Promise<void> {
    const previous = this.loaded.get(spec.family)
    if (previous && previous !== spec.backend) await this.flushTables({backend: previous, family: spec.family})
    await run([restoreBinary(spec, 'restore')], {netns: this.nodeNs, input: text})
    this.loaded.set(spec.family, spec.backend)
  }

  /** `iptables-save` output of the node namespace (with `-c` when counters is set). */
  async saveRules(opts: Partial<RulesetSpec> & {counters?: boolean} = {}): Promise<string> {
    const spec = this.specFor(opts)
    const argv = [restoreBinary(spec, 'save'), ...(opts.counters ? ['-c'] : [])]
    return (await run(argv, {netns: this.nodeNs})).stdout
  }

  /** Zeroes every rule and chain counter of every table of the loaded ruleset. */
  async zeroCounters(opts: Partial<RulesetSpec> = {}): Promise<void> {
    const spec = this.specFor(opts)
    for (const table of await this.tableNames(spec)) {
      await run([restoreBinary(spec, ''), '-t', table, '-Z'], {netns: this.nodeNs})
    }
  }

  /** Per-rule packet counters, parsed from `iptables-save -c` with kpx's own parser. */
  async counters(opts: Partial<RulesetSpec> = {}): Promise<RuleCounters> {
    const spec = this.specFor(opts)
    return countRules(await this.saveRules({...spec, counters: true}), spec.family)
  }

  /** Forgets every tracked connection so the next attempts are NEW again. */
  async flushConntrack(): Promise<void> {
    // conntrack -F exits 1 when the table is empty on some versions; that is fine.
    await run(['conntrack', '-F'], {netns: this.nodeNs, allowFailure: true})
  }

  /** Sends one target's connections. See sendBatch. */
  async send(spec: SendSpec): Promise<SendResult> {
    return (await this.sendBatch([spec]))[0]
  }

  /**
   * Sends many targets with one sender process per side (node, client), after flushing
   * conntrack. Source ports are distinct across the whole batch.
   */
  async sendBatch(specs: SendSpec[]): Promise<SendResult[]> {
    const total = specs.reduce((sum, spec) => sum + spec.count, 0)
    if (total > MAX_SOURCE_PORTS) throw new Error(`sendBatch: ${total} connections exceed ${MAX_SOURCE_PORTS} source ports; split the batch`)
    await this.flushConntrack()
    let nextPort = FIRST_SOURCE_PORT
    const planned = specs.map((spec) => {
      const firstPort = nextPort
      nextPort += spec.count
      return {...spec, src: spec.src ?? this.defaultSource(spec), firstPort}
    })
    const results: SendResult[] = new Array(specs.length)
    for (const side of ['node', 'client'] as const) {
      const indexes = planned.flatMap((spec, i) => (spec.from === side ? [i] : []))
      if (indexes.length === 0) continue
      const targets = indexes.map((i) => planned[i])
      if (side === 'client') for (const target of targets) if (target.src) await this.addClientAddress(target.src)
      const replies = await this.sender(side).send(targets.map(({src, dst, port, proto, count, firstPort}) => ({src, dst, port, proto, count, firstPort})))
      indexes.forEach((specIndex, k) => (results[specIndex] = replies[k]))
    }
    return results
  }

  private sender(side: 'node' | 'client'): SenderProcess {
    let sender = this.senders.get(side)
    if (!sender) {
      sender = new SenderProcess(side === 'node' ? this.nodeNs : this.clientNs)
      this.senders.set(side, sender)
    }
    return sender
  }

  private defaultSource(spec: SendSpec): string | undefined {
    if (spec.from === 'node') return undefined
    const v6 = isIPv6(spec.dst)
    return (this.options.clientIps ?? []).find((ip) => isIPv6(ip) === v6) ?? (v6 ? NODE_LINK.v6Peer : NODE_LINK.v4Peer)
  }

  private specFor(opts: Partial<RulesetSpec>): RulesetSpec {
    const family = opts.family ?? (this.loaded.has(4) || !this.loaded.has(6) ? 4 : 6)
    const backend = opts.backend ?? this.loaded.get(family) ?? 'nft'
    return {backend, family}
  }

  private async tableNames(spec: RulesetSpec): Promise<string[]> {
    const text = await this.saveRules(spec)
    return [...text.matchAll(/^\*(\S+)$/gm)].map((m) => m[1])
  }

  private async flushTables(spec: RulesetSpec): Promise<void> {
    for (const table of await this.tableNames(spec)) {
      await run([restoreBinary(spec, ''), '-t', table, '-F'], {netns: this.nodeNs})
      await run([restoreBinary(spec, ''), '-t', table, '-X'], {netns: this.nodeNs})
    }
  }

  /** Removes both namespaces (and with them the veth pair and every rule). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    live.delete(this)
    for (const sender of this.senders.values()) sender.close()
    await run(['ip', 'netns', 'del', this.clientNs], {allowFailure: true})
    await run(['ip', 'netns', 'del', this.nodeNs], {allowFailure: true})
  }

  /** close() for process exit, where asynchronous work no longer runs. */
  closeSync(): void {
    if (this.closed) return
    this.closed = true
    live.delete(this)
    for (const sender of this.senders.values()) sender.kill()
    runSyncQuietly(['ip', 'netns', 'del', this.clientNs])
    runSyncQuietly(['ip', 'netns', 'del', this.nodeNs])
  }
}

/** Creates a lab (both namespaces, ready to load rules). Always `await lab.close()` after. */
export async function createLab(options: LabOptions): Promise<Lab> {
  const lab = new Lab(options)
  await lab.setUp()
  return lab
}
