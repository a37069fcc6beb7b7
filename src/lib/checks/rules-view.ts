/**
 * What the checks need to know about one parsed dump, computed in one pass: kube-proxy's
 * per-service chains and the Service port each belongs to, the endpoint cascades (KUBE-SVC,
 * KUBE-SVL, KUBE-XLB → KUBE-SEP with probabilities), each KUBE-SEP's DNAT destination, the
 * KUBE-SERVICES entry rules and the "has no endpoints" rules. O(rules); never quadratic.
 */
import {classifyChain, KUBE_SERVICES, type ChainKind} from '../kube-proxy/names.js'
import type {Chain, IptablesDump, IpFamily, Rule} from '../parse/types.js'
import {formatEndpoint, parseEndpoint} from '../net/ip.js'
import {mayHaveModule, targetNameOf} from '../parse/lazy-rule.js'
import {
  destinationOf,
  dnatDestinationOf,
  firstDestinationPort,
  isAffinityCheck,
  probabilitiesCertainlyInRange,
  protocolCriterionOf,
  randomProbabilityOf,
} from '../kube-proxy/rule-facts.js'
import {serviceChainHash, servicePortFromComment} from './service-names.js'

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

export interface EndpointChain {
  chain: string
  servicePort?: string
  /** `ip:port` of the DNAT, as written in the rule (`[fd00::1]:80` for IPv6). */
  endpoint?: string
  dnatRule?: Rule
}

/** A nat KUBE-SERVICES rule that sends a destination to a per-service chain. */
export interface ServiceEntryRule {
  rule: Rule
  servicePort?: string
  /** The destination address without its /32 or /128. */
  address?: string
  port?: number
  protocol?: string
  target: string
}

export interface NoEndpointsRule {
  rule: Rule
  servicePort: string
  /** "has no local endpoints" (externalTrafficPolicy Local) rather than "has no endpoints". */
  local: boolean
}

export interface RulesView {
  dump: IptablesDump
  family: IpFamily
  origin?: string
  /** table → chain name → chain. */
  chains: Map<string, Map<string, Chain>>
  /** nat chain → the Service port it belongs to (comments first, then hashes, then the cascade). */
  chainService: Map<string, string>
  /** nat chain → the Service port its own comments name (what hash-mismatch verifies). */
  commentService: Map<string, string>
  cascades: Cascade[]
  endpointChains: Map<string, EndpointChain>
  serviceRules: ServiceEntryRule[]
  noEndpointRules: NoEndpointsRule[]
  /**
   * nat rules with a statistic match whose line does not show every random probability inside
   * (0, 1], in dump order: probability-out-of-range decodes these instead of every statistic rule.
   */
  unsettledStatisticRules: Rule[]
  /** table → every name some rule jumps or goes to (chains and targets alike). */
  jumpTargets: Map<string, Set<string>>
  ruleCount: number
}

const CASCADE_KINDS = new Set<ChainKind>(['svc', 'svl', 'xlb'])
const SERVICE_KINDS = new Set<ChainKind>(['svc', 'svl', 'ext', 'fw', 'xlb'])
const NO_ENDPOINTS_COMMENT = /has no (local )?endpoints/

/** A chain of the view's dump, or undefined. */
export function chainOf(view: RulesView, table: string, chain: string): Chain | undefined {
  return view.chains.get(table)?.get(chain)
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
    cascades: [],
    endpointChains: new Map(),
    serviceRules: [],
    noEndpointRules: [],
    unsettledStatisticRules: [],
    jumpTargets: new Map(),
    ruleCount: 0,
  }
  const names: ServicePortNames = {hashIndex: opts.hashIndex, seen: new Map()}
  for (const table of dump.tables) {
    const chains = new Map<string, Chain>()
    const targets = new Set<string>()
    view.chains.set(table.name, chains)
    view.jumpTargets.set(table.name, targets)
    for (const chain of table.chains) {
      chains.set(chain.name, chain)
      view.ruleCount += chain.rules.length
      // targetNameOf: the name without decoding a lazily parsed rule (most rules are never decoded).
      for (const rule of chain.rules) {
        const target = targetNameOf(rule)
        if (target) targets.add(target)
      }
      if (table.name === 'nat') readNatChain(view, chain, names)
      else collectNoEndpointRules(view, chain)
    }
  }
  linkCascadesToEndpointChains(view)
  return view
}

function readNatChain(view: RulesView, chain: Chain, names: ServicePortNames): void {
  const kind = classifyChain(chain.name)
  if (SERVICE_KINDS.has(kind) || kind === 'sep') nameServiceChain(view, chain, names)
  const servicePort = view.chainService.get(chain.name)
  if (CASCADE_KINDS.has(kind)) view.cascades.push(readCascade(view, chain, kind, servicePort))
  else for (const rule of chain.rules) noteUnsettledStatistic(view, rule)
  if (kind === 'sep') view.endpointChains.set(chain.name, readEndpointChain(chain, servicePort))
  if (chain.name === KUBE_SERVICES) {
    for (const rule of chain.rules) {
      const entry = readServiceEntry(rule)
      if (entry) view.serviceRules.push(entry)
    }
  }
}

function nameServiceChain(view: RulesView, chain: Chain, names: ServicePortNames): void {
  const commented = commentServicePort(chain, names)
  if (commented) view.commentService.set(chain.name, commented)
  const servicePort = commented ?? hashServicePort(chain, names.hashIndex)
  if (servicePort) view.chainService.set(chain.name, servicePort)
}

/**
 * How chains get their Service port names: the cluster's hash index, and one string per name.
 * Each chain's comment spells its Service port anew; keeping the first string of each name
 * (10^4 instead of 10^5) lets the checks' sets and maps compare them by reference.
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

function readCascade(view: RulesView, chain: Chain, kind: ChainKind, servicePort?: string): Cascade {
  const cascade: Cascade = {chain: chain.name, kind, servicePort, jumps: [], affinity: false}
  for (const rule of chain.rules) {
    readCascadeRule(cascade, rule)
    // Right after reading the same line, so the line facts are still at hand.
    noteUnsettledStatistic(view, rule)
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

function readEndpointChain(chain: Chain, servicePort?: string): EndpointChain {
  const endpointChain: EndpointChain = {chain: chain.name, servicePort}
  for (const rule of chain.rules) {
    if (targetNameOf(rule) !== 'DNAT') continue // read only the DNAT rule, not the MARK-MASQ one
    const destination = dnatDestinationOf(rule)
    if (destination !== undefined) {
      endpointChain.endpoint = canonicalEndpoint(destination)
      endpointChain.dnatRule = rule
      break
    }
  }
  return endpointChain
}

function readServiceEntry(rule: Rule): ServiceEntryRule | undefined {
  const target = targetNameOf(rule)
  if (!target || !SERVICE_KINDS.has(classifyChain(target))) return undefined
  const criterion = destinationOf(rule)
  const destination = criterion && !criterion.negated ? criterion.value : undefined
  const protocol = protocolCriterionOf(rule)
  return {
    rule,
    target,
    servicePort: servicePortFromComment(rule.comment),
    address: destination?.replace(/\/(32|128)$/, ''),
    port: firstDestinationPort(rule),
    protocol: protocol && !protocol.negated ? protocol.value.toLowerCase() : undefined,
  }
}

function collectNoEndpointRules(view: RulesView, chain: Chain): void {
  for (const rule of chain.rules) {
    const match = rule.comment ? NO_ENDPOINTS_COMMENT.exec(rule.comment) : null
    const target = targetNameOf(rule)
    if (!match || (target !== 'REJECT' && target !== 'DROP')) continue
    const servicePort = servicePortFromComment(rule.comment)
    if (servicePort) view.noEndpointRules.push({rule, servicePort, local: Boolean(match[1])})
  }
}

/**
 * Links every cascade jump to its KUBE-SEP chain once (the checks read `jump.endpoint` instead of
 * looking the chain up again each), and gives comment-less KUBE-SEP chains the Service port of
 * the cascade that jumps to them.
 */
function linkCascadesToEndpointChains(view: RulesView): void {
  for (const cascade of view.cascades) {
    for (const jump of cascade.jumps) {
      const sep = view.endpointChains.get(jump.sepChain)
      if (sep?.endpoint !== undefined) jump.endpoint = sep.endpoint
      if (sep && cascade.servicePort && !sep.servicePort) {
        sep.servicePort = cascade.servicePort
        view.chainService.set(sep.chain, cascade.servicePort)
      }
    }
  }
}

/** The endpoint of a cascade rule, through its KUBE-SEP chain's DNAT. */
export function endpointOfJump(_view: RulesView, jump: EndpointJump): string | undefined {
  return jump.endpoint
}

/** Plain dotted-quad `ip:port` without leading zeros is already canonical (the common case). */
const CANONICAL_IPV4_ENDPOINT = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d):[1-9]\d{0,4}$/

/** `ip:port` in one canonical spelling, so rule text and API addresses compare equal. */
export function canonicalEndpoint(text: string): string {
  if (CANONICAL_IPV4_ENDPOINT.test(text)) return text
  try {
    const {ip, port} = parseEndpoint(text)
    return formatEndpoint(ip, port)
  } catch {
    return text
  }
}

