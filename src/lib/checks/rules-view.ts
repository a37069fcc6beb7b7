/**
 * What the checks need to know about one parsed dump, computed in one pass: kube-proxy's
 * per-service chains and the Service port each belongs to, the endpoint cascades (KUBE-SVC,
 * KUBE-SVL, KUBE-XLB → KUBE-SEP with probabilities), each KUBE-SEP's DNAT destination, the
 * KUBE-SERVICES entry rules and the "has no endpoints" rules, and what the rule-by-rule checks
 * would otherwise walk every rule again for (jump targets, unused chains, hidden rules).
 * O(rules); never quadratic.
 *
 * Cost model (a 10k-Service dump: 3×10^5 rules, 10^5 KUBE-SEP chains): every Map or Set
 * operation on a 10^5-entry collection costs about as much as reading a rule's line facts, so
 * each chain is looked up by name as few times as possible — once when registered, once from
 * the jump that reaches it.
 */
import {classifyChain, isPerServiceChain, KUBE_SERVICES, type ChainKind} from '../kube-proxy/names.js'
import type {ChainLookup} from '../parse/chain-directory.js'
import {DeferredChain} from '../parse/deferred-chain.js'
import {spanEquals} from '../parse/chain-span-index.js'
import {chainsByName} from '../parse/dump-builder.js'
import type {ScannedLine} from '../parse/scanned-lines.js'
import type {Chain, IptablesDump, IpFamily, Rule} from '../parse/types.js'
import {EndpointChain, EndpointChains, readNoEndpointsRule, readServiceEntry, SERVICE_KINDS, type NoEndpointsRule, type ServiceEntryRule} from './rule-readers.js'
import {ParsedRuleLine, RuleHandle, ruleHandleOf, ScannedRuleLine, type RuleLine} from './rule-lines.js'
import {serviceChainHash, servicePortFromComment} from './service-names.js'

export {canonicalEndpoint, EndpointChain, EndpointChains, type NoEndpointsRule, type ServiceEntryRule} from './rule-readers.js'

/**
 * A cascade rule that sends traffic to a KUBE-SEP chain. It is its own RuleHandle (10^5 of these:
 * one object each, not two).
 */
export class EndpointJump extends RuleHandle {
  /** The DNAT address of its KUBE-SEP chain (filled once the whole dump is read). */
  endpoint?: string = undefined
  readonly sepChain: string
  /** The `--probability` of the rule; undefined when it has no statistic match. */
  readonly probability: number | undefined
  /** The packets of the rule's counters (`iptables-save -c`); undefined without counters. */
  readonly packets: number | undefined
  /** Position of the KUBE-SEP chain in the nat table when the reader knew it, else -1 (found by name). */
  readonly sepPosition: number

  constructor(line: RuleLine, sepChain: string) {
    super(line.index, line.parsedRule, line.sourceChain)
    this.sepChain = sepChain
    this.probability = line.randomProbability()
    this.packets = line.packets
    this.sepPosition = line.targetPosition
  }
}

/** A chain that spreads traffic over endpoints: KUBE-SVC, KUBE-SVL, KUBE-XLB. */
export interface Cascade {
  chain: string
  kind: ChainKind
  servicePort?: string
  /** The rules that jump to a KUBE-SEP chain, in order, without session-affinity `--rcheck` rules. */
  jumps: EndpointJump[]
  /** true when the chain has ClientIP session affinity (`recent --rcheck` rules). */
  affinity: boolean
}

export interface RulesView {
  dump: IptablesDump
  family: IpFamily
  origin?: string
  /** table → its chains by name (the parser's own lookup: no copy of 10^5 names). */
  chains: Map<string, ChainLookup>
  /**
   * nat per-service chain other than KUBE-SEP → the Service port it belongs to (comments first,
   * then hashes). A KUBE-SEP chain's is in its record (EndpointChain.servicePort: its comments',
   * else its cascade's); serviceOfChain asks both.
   */
  chainService: Map<string, string>
  /**
   * nat per-service chain other than KUBE-SEP → the Service port its own comments name (what
   * hash-mismatch verifies). A KUBE-SEP chain's claim is in its record (EndpointChain.claimed).
   */
  commentService: Map<string, string>
  /** The distinct Service ports chainService names, one string each (10^4 where chainService has 10^5 entries). */
  servicePorts: Set<string>
  cascades: Cascade[]
  endpointChains: EndpointChains
  serviceRules: ServiceEntryRule[]
  noEndpointRules: NoEndpointsRule[]
  /**
   * nat rules with a statistic match whose line does not show every random probability inside
   * (0, 1], in dump order: probability-out-of-range decodes these instead of every statistic rule.
   */
  unsettledStatisticRules: Rule[]
  /** table → the names rules jump or go to that are no chain of the table (extension targets too). */
  unknownTargets: Map<string, string[]>
  /** nat KUBE-SVC/SVL/EXT/FW/XLB/SEP chains that no rule jumps or goes to, in dump order (orphan-chain). */
  unusedServiceChains: Chain[]
  /** Chains where a rule that matches everything and never returns comes before the last rule, in dump order. */
  blockedChains: BlockedChain[]
  ruleCount: number
}

/** A chain whose rule `stop` (0-based) hides the rules after it (unreachable-rule). */
export interface BlockedChain {
  table: string
  chain: Chain
  stop: number
}

const CASCADE_KINDS = new Set<ChainKind>(['svc', 'svl', 'xlb'])

/** The Service port a nat chain belongs to (chainService, or a KUBE-SEP chain's record), or undefined. */
export function serviceOfChain(view: RulesView, chain: string): string | undefined {
  return view.chainService.get(chain) ?? view.endpointChains.get(chain)?.servicePort
}

/** A chain of the view's dump, or undefined. */
export function chainOf(view: RulesView, table: string, chain: string): Chain | undefined {
  return view.chains.get(table)?.get(chain)
}

/** What the pass keeps while it reads one table. */
interface TableReading {
  view: RulesView
  table: string
  chains: ChainLookup
  /**
   * Every name a rule jumps or goes to, except cascade jumps to KUBE-SEP (linked one by one) and
   * jumps whose chain's position the reader knew (marked in `reached` instead).
   */
  targets: Set<string>
  /** 1 at the table position of each chain a rule jumps or goes to (see `targets`). */
  reached: Uint8Array
  names: ServicePortNames
  /** nat: the KUBE-SEP record of the chain at each position of the table (undefined for others). */
  endpointChainAt: (EndpointChain | undefined)[]
  /** The dump's text, once a scanned line showed it (KUBE-SEP claims are read from it). */
  text: string | undefined
}

/**
 * @param hashIndex chain hash → Service port for the cluster's Services (see buildHashIndex), so
 *   comment-less chains are still named.
 */
export function buildRulesView(dump: IptablesDump, opts: {origin?: string; hashIndex?: Map<string, string>} = {}): RulesView {
  const view: RulesView = {
    dump,
    family: dump.family,
    origin: opts.origin,
    chains: new Map(),
    chainService: new Map(),
    commentService: new Map(),
    servicePorts: new Set(),
    cascades: [],
    endpointChains: new EndpointChains(),
    serviceRules: [],
    noEndpointRules: [],
    unsettledStatisticRules: [],
    unknownTargets: new Map(),
    unusedServiceChains: [],
    blockedChains: [],
    ruleCount: 0,
  }
  const names: ServicePortNames = {hashIndex: opts.hashIndex, seen: new Map()}
  const reader = new ChainReader()
  for (const table of dump.tables) {
    const reading: TableReading = {view, table: table.name, chains: chainsByName(table), targets: new Set(), reached: new Uint8Array(table.chains.length), names, endpointChainAt: [], text: undefined}
    view.chains.set(table.name, reading.chains)
    for (const chain of table.chains) view.ruleCount += reader.read(reading, chain)
    const unknown = resolveTargets(reading)
    if (table.name === 'nat') {
      linkCascadesToEndpointChains(reading, unknown)
      for (const sep of reading.endpointChainAt) if (sep !== undefined && sep.claimStart >= 0) settleClaim(reading, sep, undefined)
      collectUnusedServiceChains(reading, table.chains)
    }
    view.unknownTargets.set(table.name, [...unknown])
  }
  view.servicePorts = new Set(names.seen.keys())
  return view
}

/**
 * Reads one chain rule by rule, in one pass: from the parser's scanned lines when the chain
 * offers them (no rule objects: see scanned-lines.ts), else from its rules. Both give the same
 * view (test/lib/checks/view-lines.test.ts holds them to it).
 */
class ChainReader {
  private readonly parsed = new ParsedRuleLine()
  private readonly scanned = new ScannedRuleLine()
  // The chain being read, and what is learnt of it on the way.
  private reading!: TableReading
  private chain!: Chain
  private kind: ChainKind = 'other'
  private nat = false
  private named = false
  private commented: string | undefined
  private cascade: Cascade | undefined
  private endpointChain: EndpointChain | undefined
  private services = false
  private blocked = false
  /** How many rules the chain has (0 until its first rule is read). */
  private ruleCount = 0
  private readonly visitScanned = (line: ScannedLine): void => this.readRule(this.scanned.of(line, this.chain), line.index - 1, line.count)

  /** Reads the chain into the reading's view; returns how many rules it has. */
  read(reading: TableReading, chain: Chain): number {
    this.start(reading, chain)
    if (!(chain instanceof DeferredChain && chain.scanLines(this.visitScanned))) {
      const rules = chain.rules
      for (let k = 0; k < rules.length; k++) this.readRule(this.parsed.of(rules[k]), k, rules.length)
    }
    this.finish()
    return this.ruleCount
  }

  private start(reading: TableReading, chain: Chain): void {
    this.reading = reading
    this.chain = chain
    this.nat = reading.table === 'nat'
    this.kind = this.nat ? classifyChain(chain.name) : 'other'
    this.named = SERVICE_KINDS.has(this.kind) || this.kind === 'sep'
    this.commented = undefined
    this.cascade = CASCADE_KINDS.has(this.kind) ? {chain: chain.name, kind: this.kind, servicePort: undefined, jumps: [], affinity: false} : undefined
    this.endpointChain = this.kind === 'sep' ? new EndpointChain(chain.name) : undefined
    this.services = this.nat && chain.name === KUBE_SERVICES
    this.blocked = false
    this.ruleCount = 0
  }

  /** Rule k (0-based) of `count`. */
  private readRule(line: RuleLine, k: number, count: number): void {
    this.ruleCount = count
    const view = this.reading.view
    // The chain's Service port, as its comments name it: the first rule whose comment does.
    // A KUBE-SEP chain's is nearly always its cascade's: its comment is held where it stands in
    // the text and compared with that name once the cascades are read (settleClaim), which
    // spares 10^5 comment strings and lookups.
    const sep = this.endpointChain
    if (this.named && this.commented === undefined && !(sep !== undefined && sep.claimStart >= 0)) {
      if (sep !== undefined && line.commentStart >= 0) {
        sep.claimStart = line.commentStart
        sep.claimEnd = line.commentEnd
        this.reading.text = line.text
      } else {
        const named = servicePortFromComment(line.comment())
        if (named) this.commented = canonicalName(this.reading.names, named)
      }
    }
    let linked = false
    if (this.cascade) linked = readCascadeRule(this.cascade, line)
    this.noteRule(line, k, count, linked)
    if (!this.nat) {
      const noEndpoints = readNoEndpointsRule(line)
      if (noEndpoints) view.noEndpointRules.push(noEndpoints)
      return
    }
    if (line.unsettledStatistic()) view.unsettledStatisticRules.push(ruleHandleOf(line).rule)
    this.endpointChain?.readRule(line)
    if (this.services) {
      const entry = readServiceEntry(line)
      if (entry) view.serviceRules.push(entry)
    }
  }

  /**
   * Notes the rule's target (unless its cascade links it itself) and whether the rule hides the
   * rules after it (the last rule hides none; only the first such rule of a chain is kept).
   */
  private noteRule(line: RuleLine, k: number, count: number, linked: boolean): void {
    if (!linked) {
      const position = line.targetPosition
      if (position >= 0) this.reading.reached[position] = 1
      else if (line.target) this.reading.targets.add(line.target)
    }
    if (!this.blocked && k < count - 1 && line.blocksLaterRules()) {
      this.blocked = true
      this.reading.view.blockedChains.push({table: this.reading.table, chain: this.chain, stop: k})
    }
  }

  /** What needs the whole chain read: its Service port (comments first, then hash) and records. */
  private finish(): void {
    const {view, names} = this.reading
    const chain = this.chain
    if (this.nat) {
      if (this.commented && this.kind !== 'sep') view.commentService.set(chain.name, this.commented)
      // A KUBE-SEP chain's Service port is in its record (its claim, else its cascade's), not in chainService.
      const servicePort = this.kind === 'sep' ? this.commented : this.named ? nameServiceChain(view, chain, names, this.commented) : undefined
      if (this.cascade) {
        this.cascade.servicePort = servicePort
        view.cascades.push(this.cascade)
      }
      const endpointChain = this.endpointChain
      if (endpointChain) {
        if (servicePort !== undefined) endpointChain.servicePort = servicePort
        if (this.commented !== undefined) endpointChain.claimed = this.commented
        view.endpointChains.add(endpointChain)
      }
      this.reading.endpointChainAt.push(endpointChain)
    }
    this.cascade = undefined
    this.endpointChain = undefined
  }
}

/** Names the chain's Service port (see chainService): its comments' (`commented`), else its hash's. */
function nameServiceChain(view: RulesView, chain: Chain, names: ServicePortNames, commented: string | undefined): string | undefined {
  const hashed = commented ? undefined : hashServicePort(chain, names.hashIndex)
  const servicePort = commented ?? (hashed && canonicalName(names, hashed))
  if (servicePort) view.chainService.set(chain.name, servicePort)
  return servicePort
}

/**
 * How chains get their Service port names: the cluster's hash index, and one string per name.
 * Each chain's comment spells its Service port anew; keeping the first string of each name
 * (10^4 instead of 10^5) lets the checks' sets and maps compare them by reference. `seen` holds
 * every name chainService and the KUBE-SEP records get (cascades pass theirs on to their KUBE-SEP chains).
 */
interface ServicePortNames {
  hashIndex?: Map<string, string>
  seen: Map<string, string>
}

function canonicalName(names: ServicePortNames, servicePort: string): string {
  const known = names.seen.get(servicePort)
  if (known !== undefined) return known
  names.seen.set(servicePort, servicePort)
  return servicePort
}

function hashServicePort(chain: Chain, hashIndex?: Map<string, string>): string | undefined {
  const hash = serviceChainHash(chain.name)
  return hash ? hashIndex?.get(hash) : undefined
}

/** Reads one rule of a cascade; true when it is a jump to a KUBE-SEP chain (linked later, one by one). */
function readCascadeRule(cascade: Cascade, line: RuleLine): boolean {
  const target = line.target
  if (!target || !target.startsWith('KUBE-SEP-')) return false
  if (line.isAffinityCheck()) {
    cascade.affinity = true
    return false
  }
  cascade.jumps.push(new EndpointJump(line, target))
  return true
}

/**
 * Matches the table's collected jump targets against its chains, once per distinct name, and
 * returns the names that are no chain. (A KUBE-SEP reached this way is marked used.)
 */
function resolveTargets(reading: TableReading): Set<string> {
  const unknown = new Set<string>()
  for (const name of reading.targets) {
    const chain = reading.chains.get(name)
    if (!chain) unknown.add(name)
    else if (reading.table === 'nat' && name.startsWith('KUBE-SEP-')) {
      const sep = reading.view.endpointChains.get(chain.name)
      if (sep) sep.used = true
    }
  }
  return unknown
}

/**
 * Links every cascade jump to its KUBE-SEP chain once (the checks read `jump.endpoint` instead of
 * looking the chain up again each), and gives comment-less KUBE-SEP chains the Service port of
 * the cascade that jumps to them. This lookup is also what tells a KUBE-SEP chain is used, and a
 * jump to a missing one (added to `unknown`).
 */
function linkCascadesToEndpointChains(reading: TableReading, unknown: Set<string>): void {
  const view = reading.view
  for (const cascade of view.cascades) {
    for (const jump of cascade.jumps) {
      const sep = jump.sepPosition >= 0 ? reading.endpointChainAt[jump.sepPosition] : view.endpointChains.get(jump.sepChain)
      if (!sep) {
        unknown.add(jump.sepChain)
        continue
      }
      sep.used = true
      if (sep.endpoint !== undefined) jump.endpoint = sep.endpoint
      if (sep.claimStart >= 0) settleClaim(reading, sep, cascade.servicePort)
      if (cascade.servicePort && !sep.servicePort) sep.servicePort = cascade.servicePort
    }
  }
}

/**
 * Settles a KUBE-SEP chain's held claim (ChainReader.readRule): the Service port its first
 * comment names, which is `expected` (its cascade's, one string already) when that comment starts
 * with it as a word; otherwise the comment is read as any other, and if it names none, the
 * chain's later comments are (as rules: this is rare).
 */
function settleClaim(reading: TableReading, sep: EndpointChain, expected: string | undefined): void {
  const text = reading.text as string
  const start = sep.claimStart
  const end = sep.claimEnd
  sep.claimStart = sep.claimEnd = -1
  let claimed: string | undefined
  if (expected !== undefined && startsWithWord(text, start, end, expected)) claimed = expected
  else {
    const named = servicePortFromComment(text.slice(start, end)) ?? laterCommentServicePort(reading, sep.chain)
    if (named) claimed = canonicalName(reading.names, named)
  }
  if (claimed === undefined) return
  sep.claimed = claimed
  sep.servicePort = claimed
}

/** text[start, end) begins with the word `word` (followed by a space or the end). */
function startsWithWord(text: string, start: number, end: number, word: string): boolean {
  const after = start + word.length
  return after <= end && spanEquals(text, start, after, word) && (after === end || text.charCodeAt(after) === 32)
}

/** The Service port named by the first of the chain's comments that names one. */
function laterCommentServicePort(reading: TableReading, chain: string): string | undefined {
  // From the first rule again: the held comment (which named none) answers the same as before.
  const rules = reading.chains.get(chain)?.rules ?? []
  for (let k = 0; k < rules.length; k++) {
    const named = servicePortFromComment(rules[k].comment)
    if (named) return named
  }
  return undefined
}

/**
 * The per-service chains no rule reaches: a KUBE-SEP unless marked used (here too, when a jump
 * reached its position), any other unless a jump reached its position or a collected target
 * names it (only cascade jumps to KUBE-SEP chains were left out of those).
 */
function collectUnusedServiceChains(reading: TableReading, chains: Chain[]): void {
  for (let k = 0; k < chains.length; k++) {
    const chain = chains[k]
    if (!isPerServiceChain(chain.name)) continue
    const sep = reading.endpointChainAt[k]
    if (sep && reading.reached[k] === 1) sep.used = true
    if (sep ? !sep.used : reading.reached[k] === 0 && !reading.targets.has(chain.name)) reading.view.unusedServiceChains.push(chain)
  }
}
