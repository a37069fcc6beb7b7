/**
 * The part of a dump a trace to one address needs for its kube-proxy model: the service ports
 * whose entry rules name that address (or, for a node address, that NodePort), with all their
 * chains, endpoints and filter rules. Tracing `IP:PORT` on a 10k-service dump then builds a
 * model of one service port instead of 10k; the packet itself is still walked through the
 * whole dump, so only the service facts come from this slice.
 */
import {CANONICAL_IPV4} from '../net/ip.js'
import {canonicalIp} from '../snapshot/cluster-index.js'
import {parseServiceComment} from '../kube-proxy/comments.js'
import {portProtoHash} from '../kube-proxy/names.js'
import {chainHash, chainKind, isServiceGroupChain, jumpTarget} from '../kube-proxy/ownership.js'
import {destinationPort, hasDstTypeLocal} from '../kube-proxy/rule-facts.js'
import {chainsByName, chainsInLineOrder, destinationOf} from '../parse/index.js'
import type {ChainLookup} from '../parse/chain-directory.js'
import type {Chain, IptablesDump, Rule, Table} from '../parse/types.js'

export interface ScopeTarget {
  dst: string
  dport: number
  /** The destination is one of the node's addresses (NodePorts apply). */
  local: boolean
}

const ENTRY_CHAINS = new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS'])
/** The per-service chains of one service port share its hash (see ownership.ts isServiceGroupChain). */
const GROUP_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-XLB-']
const FILTER_CHAINS = new Set(['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'])

function commentKey(rule: Rule): string | null {
  const ref = parseServiceComment(rule.comment)
  return ref ? `${ref.namespace}/${ref.name}:${ref.portName}` : null
}

/**
 * Whether a rule's own match names the target: its destination address, or a NodePort on a
 * local address. Read without decoding the rule where possible: KUBE-SERVICES has a rule per
 * service port, and only the port's number in the line's text can make a NodePort match.
 */
function addresses(rule: Rule, target: ScopeTarget, wanted: string, nodePorts: boolean): boolean {
  if (target.local && rule.raw.includes(String(target.dport)) && (nodePorts || hasDstTypeLocal(rule)) && destinationPort(rule) === target.dport) return true
  const d = destinationOf(rule)
  if (!d || d.negated) return false
  const slash = d.value.indexOf('/')
  const host = slash < 0 ? d.value : d.value.slice(0, slash)
  const prefix = slash < 0 ? undefined : d.value.slice(slash + 1)
  return (prefix === undefined || prefix === '32' || prefix === '128') && sameAddress(host, wanted)
}

/**
 * Whether `host` is the address `wanted` (canonical). KUBE-SERVICES holds a rule per service
 * port: two canonical dotted quads are compared as strings, and only other spellings are parsed.
 */
function sameAddress(host: string, wanted: string): boolean {
  if (host === wanted) return true
  if (CANONICAL_IPV4.test(host) && CANONICAL_IPV4.test(wanted)) return false
  return canonicalIp(host) === wanted
}

class Scope {
  readonly hashes = new Set<string>()
  readonly keys = new Set<string>()
  readonly seps = new Set<string>()
  private readonly wanted: string

  constructor(private readonly target: ScopeTarget) {
    this.wanted = canonicalIp(target.dst)
  }

  /** Pass 1: service ports the entry rules (nat) and reject/drop rules (filter) send the target to. */
  findPorts(nat: Table | undefined, filter: Table | undefined): void {
    for (const chain of chainsNamed(nat, ENTRY_CHAINS)) {
      for (const rule of chain.rules) {
        // The address first: it is read from the line, the target needs the rule's scan.
        if (!addresses(rule, this.target, this.wanted, chain.name === 'KUBE-NODEPORTS')) continue
        const target = jumpTarget(rule)
        if (target && isServiceGroupChain(target)) this.hashes.add(chainHash(target))
      }
    }
    for (const chain of chainsNamed(filter, FILTER_CHAINS)) {
      for (const rule of chain.rules) {
        const key = rule.comment ? commentKey(rule) : null
        if (key && addresses(rule, this.target, this.wanted, false)) this.keys.add(key)
      }
    }
  }

  /** Pass 1 for a Service by name: the ports whose entry or reject rules' comments name it. */
  findNamed(nat: Table | undefined, filter: Table | undefined, service: string): void {
    const named = (rule: Rule): boolean => {
      // A comment naming the Service holds `namespace/name` as written (iptables-save escapes
      // only quotes and backslashes): most rules fail this test on their line, unread.
      if (!rule.raw.includes(service)) return false
      const comment = rule.comment
      const ref = comment !== undefined && comment.includes(service) ? parseServiceComment(comment) : null
      return ref !== null && `${ref.namespace}/${ref.name}` === service
    }
    for (const chain of chainsNamed(nat, ENTRY_CHAINS)) {
      for (const rule of chain.rules) {
        // The name first: it is read from the line, the target needs the rule's scan.
        if (!named(rule)) continue
        const target = jumpTarget(rule)
        if (target && isServiceGroupChain(target)) this.hashes.add(chainHash(target))
      }
    }
    for (const chain of chainsNamed(filter, FILTER_CHAINS)) {
      for (const rule of chain.rules) {
        const key = named(rule) ? commentKey(rule) : null
        if (key) this.keys.add(key)
      }
    }
  }

  /**
   * The nat chains of the found ports (entry rules filtered to them), and the names their
   * comments give. Found by name (a port's chains share its hash), not by reading 10^5 chains.
   */
  natChains(nat: Table | undefined): Chain[] {
    if (!nat) return []
    const byName = chainsByName(nat)
    const kept = new Set<Chain>()
    for (const name of ENTRY_CHAINS) {
      const chain = byName.get(name)
      if (chain) kept.add({...chain, rules: chain.rules.filter((rule) => this.keepEntry(rule))})
    }
    for (const hash of this.hashes) {
      for (const prefix of GROUP_PREFIXES) {
        const chain = byName.get(prefix + hash)
        if (!chain) continue
        for (const rule of chain.rules) {
          const target = jumpTarget(rule)
          if (target && chainKind(target) === 'sep') this.seps.add(target)
        }
        kept.add(chain)
      }
    }
    for (const sep of this.seps) {
      const chain = byName.get(sep)
      if (chain) kept.add(chain)
    }
    return inTableOrder([...kept], nat, byName)
  }

  private keepEntry(rule: Rule): boolean {
    // A rule that jumps to a found port's chain names its hash in its line: the rest are not read.
    if (!this.namesFoundHash(rule.raw)) return false
    const target = jumpTarget(rule)
    if (!target || !isServiceGroupChain(target) || !this.hashes.has(chainHash(target))) return false
    const key = rule.comment ? commentKey(rule) : null
    if (key) this.keys.add(key)
    return true
  }

  private namesFoundHash(raw: string): boolean {
    for (const hash of this.hashes) if (raw.includes(hash)) return true
    return false
  }

  filterChains(filter: Chain[]): Chain[] {
    return filter.filter((c) => FILTER_CHAINS.has(c.name)).map((chain) => ({...chain, rules: chain.rules.filter((rule) => {
      const key = rule.comment ? commentKey(rule) : null
      return key !== null && this.keys.has(key)
    })}))
  }
}

/**
 * The kept chains in the table's order, as the full model would meet them (entry chains were
 * copied: placed by their originals). A parsed table whose chains were all declared before use
 * lists them in the order of their declaration lines: a sort of the few kept ones does then.
 */
function inTableOrder(kept: Chain[], table: Table, byName: ChainLookup): Chain[] {
  const lines = kept.map((chain) => byName.get(chain.name)?.line)
  if (chainsInLineOrder(table) && lines.every((line): line is number => line !== undefined)) {
    return kept.map((chain, k) => ({chain, line: lines[k]})).sort((a, b) => a.line - b.line).map((entry) => entry.chain)
  }
  const keptOf = new Map<Chain, Chain>()
  for (const chain of kept) keptOf.set(byName.get(chain.name) ?? chain, chain)
  const ordered: Chain[] = []
  for (const chain of table.chains) {
    const copy = keptOf.get(chain)
    if (copy !== undefined) ordered.push(copy)
  }
  return ordered
}

/** A dump holding only what the kube-proxy model needs to describe the service port(s) at `target`. */
export function scopeDump(dump: IptablesDump, target: ScopeTarget): IptablesDump {
  const scope = new Scope(target)
  scope.findPorts(tableOf(dump, 'nat'), tableOf(dump, 'filter'))
  return scopedTables(dump, scope)
}

/**
 * A dump holding only what the model needs to describe the ports of Service `namespace/name`:
 * the ports the entry and reject rules' comments name, and those kube-proxy's hash gives for the
 * Service's ports in the cluster (`servicePortNames`; rules without comments). undefined when
 * neither finds any: the caller then needs the whole dump (to say the Service is not there, and
 * suggest close names).
 */
export function scopeDumpByName(dump: IptablesDump, namespace: string, name: string, servicePortNames: string[]): IptablesDump | undefined {
  const scope = new Scope({dst: '', dport: 0, local: false})
  scope.findNamed(tableOf(dump, 'nat'), tableOf(dump, 'filter'), `${namespace}/${name}`)
  for (const portName of servicePortNames) for (const proto of ['tcp', 'udp', 'sctp']) scope.hashes.add(portProtoHash(portName, proto))
  return scope.hashes.size === 0 && scope.keys.size === 0 ? undefined : scopedTables(dump, scope)
}

function tableOf(dump: IptablesDump, name: string): Table | undefined {
  return dump.tables.find((t) => t.name === name)
}

/** The table's chains of these names, looked up (a 10k-service nat table has 10^5 chains). */
function chainsNamed(table: Table | undefined, names: Set<string>): Chain[] {
  if (!table) return []
  const byName = chainsByName(table)
  const found: Chain[] = []
  for (const name of names) {
    const chain = byName.get(name)
    if (chain) found.push(chain)
  }
  return found
}

function scopedTables(dump: IptablesDump, scope: Scope): IptablesDump {
  const natTable = dump.tables.find((t) => t.name === 'nat')
  const filter = dump.tables.find((t) => t.name === 'filter')?.chains ?? []
  const natChains = scope.natChains(natTable)
  const tables: Table[] = []
  for (const table of dump.tables) {
    if (table.name === 'nat') tables.push({...table, chains: natChains})
    else if (table.name === 'filter') tables.push({...table, chains: scope.filterChains(filter)})
  }
  return {...dump, tables}
}
