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
import type {Chain, IptablesDump, IpFamily, Rule} from '../parse/types.js'
import {mayHaveModule, targetNameOf} from '../parse/lazy-rule.js'
import {isAffinityCheck, probabilitiesCertainlyInRange, randomProbabilityOf} from '../kube-proxy/rule-facts.js'
import {blocksLaterRules} from './blocking-rule.js'
import {
  readEndpointChain,
  readNoEndpointsRule,
  readServiceEntry,
  SERVICE_KINDS,
  type EndpointChain,
  type NoEndpointsRule,
  type ServiceEntryRule,
} from './rule-readers.js'
import {serviceChainHash, servicePortFromComment} from './service-names.js'

export {canonicalEndpoint, type EndpointChain, type NoEndpointsRule, type ServiceEntryRule} from './rule-readers.js'

export interface EndpointJump {
  rule: Rule
  sepChain: string
  /** The `--probability` of the rule; undefined when it has no statistic match. */
  probability?: number
  /** The DNAT address of its KUBE-SEP chain (filled once the whole dump is read). */
  endpoint?: string
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
  /** table → chain name → chain. */
  chains: Map<string, Map<string, Chain>>
  /** nat chain → the Service port it belongs to (comments first, then hashes, then the cascade). */
  chainService: Map<string, string>
  /**
   * nat per-service chain other than KUBE-SEP → the Service port its own comments name (what
   * hash-mismatch verifies). A KUBE-SEP chain's claim is in its record (EndpointChain.claimed).
   */
  commentService: Map<string, string>
  /** The distinct Service ports chainService names, one string each (10^4 where chainService has 10^5 entries). */
  servicePorts: Set<string>
  cascades: Cascade[]
  endpointChains: Map<string, EndpointChain>
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

/** A chain of the view's dump, or undefined. */
export function chainOf(view: RulesView, table: string, chain: string): Chain | undefined {
  return view.chains.get(table)?.get(chain)
}

/** What the pass keeps while it reads one table. */
interface TableReading {
  view: RulesView
  table: string
  chains: Map<string, Chain>
  /** Every name a rule jumps or goes to, except cascade jumps to KUBE-SEP (linked one by one). */
  targets: Set<string>
  names: ServicePortNames
  /** nat: the KUBE-SEP record of the chain at each position of the table (undefined for others). */
  endpointChainAt: (EndpointChain | undefined)[]
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
    endpointChains: new Map(),
    serviceRules: [],
    noEndpointRules: [],
    unsettledStatisticRules: [],
    unknownTargets: new Map(),
    unusedServiceChains: [],
    blockedChains: [],
    ruleCount: 0,
  }
  const names: ServicePortNames = {hashIndex: opts.hashIndex, seen: new Map()}
  for (const table of dump.tables) {
    const reading: TableReading = {view, table: table.name, chains: new Map(), targets: new Set(), names, endpointChainAt: []}
    view.chains.set(table.name, reading.chains)
    for (const chain of table.chains) {
      reading.chains.set(chain.name, chain)
      view.ruleCount += chain.rules.length
      if (table.name === 'nat') readNatChain(reading, chain)
      else readOtherChain(reading, chain)
    }
    const unknown = resolveTargets(reading)
    if (table.name === 'nat') {
      linkCascadesToEndpointChains(reading, unknown)
      collectUnusedServiceChains(reading, table.chains)
    }
    view.unknownTargets.set(table.name, [...unknown])
  }
  view.servicePorts = new Set(names.seen.keys())
  return view
}

/**
 * Notes the rule's target (unless the caller links it itself) and whether the rule hides the
 * rules after it (the last rule hides none; only the first such rule of a chain is kept).
 */
function noteRule(reading: TableReading, chain: Chain, k: number, linked: boolean): void {
  const rule = chain.rules[k]
  // targetNameOf: the name without decoding a lazily parsed rule (most rules are never decoded).
  const target = linked ? undefined : targetNameOf(rule)
  if (target) reading.targets.add(target)
  if (k < chain.rules.length - 1 && blocksLaterRules(rule) && reading.view.blockedChains.at(-1)?.chain !== chain) {
    reading.view.blockedChains.push({table: reading.table, chain, stop: k})
  }
}

function readOtherChain(reading: TableReading, chain: Chain): void {
  for (let k = 0; k < chain.rules.length; k++) {
    noteRule(reading, chain, k, false)
    const noEndpoints = readNoEndpointsRule(chain.rules[k])
    if (noEndpoints) reading.view.noEndpointRules.push(noEndpoints)
  }
}

function readNatChain(reading: TableReading, chain: Chain): void {
  const view = reading.view
  const kind = classifyChain(chain.name)
  const named = SERVICE_KINDS.has(kind) || kind === 'sep'
  const commented = named ? commentServicePort(chain, reading.names) : undefined
  if (commented && kind !== 'sep') view.commentService.set(chain.name, commented)
  const servicePort = named ? nameServiceChain(view, chain, reading.names, commented) : undefined
  if (CASCADE_KINDS.has(kind)) view.cascades.push(readCascade(reading, chain, kind, servicePort))
  else {
    for (let k = 0; k < chain.rules.length; k++) {
      noteRule(reading, chain, k, false)
      noteUnsettledStatistic(view, chain.rules[k])
    }
  }
  const endpointChain = kind === 'sep' ? readEndpointChain(chain, servicePort, commented) : undefined
  if (endpointChain) view.endpointChains.set(chain.name, endpointChain)
  reading.endpointChainAt.push(endpointChain)
  if (chain.name === KUBE_SERVICES) {
    for (const rule of chain.rules) {
      const entry = readServiceEntry(rule)
      if (entry) view.serviceRules.push(entry)
    }
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
 * every name chainService gets (cascades pass theirs on to their KUBE-SEP chains).
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

function commentServicePort(chain: Chain, names: ServicePortNames): string | undefined {
  for (const rule of chain.rules) {
    const named = servicePortFromComment(rule.comment)
    if (named) return canonicalName(names, named)
  }
  return undefined
}

function hashServicePort(chain: Chain, hashIndex?: Map<string, string>): string | undefined {
  const hash = serviceChainHash(chain.name)
  return hash ? hashIndex?.get(hash) : undefined
}

function readCascade(reading: TableReading, chain: Chain, kind: ChainKind, servicePort?: string): Cascade {
  const cascade: Cascade = {chain: chain.name, kind, servicePort, jumps: [], affinity: false}
  for (let k = 0; k < chain.rules.length; k++) {
    const rule = chain.rules[k]
    const jumps = cascade.jumps.length
    readCascadeRule(cascade, rule)
    // Right after reading the same line, so the line facts are still at hand. A jump's target
    // is linked to its KUBE-SEP chain by linkCascadesToEndpointChains, not collected.
    noteRule(reading, chain, k, cascade.jumps.length > jumps)
    noteUnsettledStatistic(reading.view, rule)
  }
  return cascade
}

function readCascadeRule(cascade: Cascade, rule: Rule): void {
  const target = targetNameOf(rule)
  if (!target || !target.startsWith('KUBE-SEP-')) return
  if (isAffinityCheck(rule)) {
    cascade.affinity = true
    return
  }
  // endpoint is set by linkCascadesToEndpointChains; declared here so every jump has one shape.
  cascade.jumps.push({rule, sepChain: target, probability: randomProbabilityOf(rule), endpoint: undefined})
}

/** Collects the rare nat rule whose statistic probabilities the line does not show in range (see RulesView). */
function noteUnsettledStatistic(view: RulesView, rule: Rule): void {
  if (mayHaveModule(rule, 'statistic') && !probabilitiesCertainlyInRange(rule)) view.unsettledStatisticRules.push(rule)
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
      const sep = view.endpointChains.get(jump.sepChain)
      if (!sep) {
        unknown.add(jump.sepChain)
        continue
      }
      sep.used = true
      if (sep.endpoint !== undefined) jump.endpoint = sep.endpoint
      if (cascade.servicePort && !sep.servicePort) {
        sep.servicePort = cascade.servicePort
        view.chainService.set(sep.chain, cascade.servicePort)
      }
    }
  }
}

/**
 * The per-service chains no rule reaches: a KUBE-SEP unless marked used, any other unless a
 * collected target names it (only cascade jumps to KUBE-SEP chains were left out of those).
 */
function collectUnusedServiceChains(reading: TableReading, chains: Chain[]): void {
  for (let k = 0; k < chains.length; k++) {
    const chain = chains[k]
    if (!isPerServiceChain(chain.name)) continue
    const sep = reading.endpointChainAt[k]
    if (sep ? !sep.used : !reading.targets.has(chain.name)) reading.view.unusedServiceChains.push(chain)
  }
}
