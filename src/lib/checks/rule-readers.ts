/**
 * What the rules view reads from single rules: a KUBE-SEP chain's DNAT, a KUBE-SERVICES entry,
 * a "has no endpoints" rule. Each reads a RuleLine (rule-lines.ts): a parsed rule or a scanned
 * line, with the same answers, decoding nothing when the line is in one of kube-proxy's plain
 * shapes. The records keep their rule as a RuleHandle, made only when a finding points at it.
 */
import {classifyChain, type ChainKind} from '../kube-proxy/names.js'
import {isPlainIpv4Endpoint} from '../kube-proxy/line-shapes.js'
import {CANONICAL_IPV4_ENDPOINT, formatEndpoint, parseEndpoint} from '../net/ip.js'
import type {Chain, Rule} from '../parse/types.js'
import {ruleHandleOf, type RuleLine, type RuleHandle} from './rule-lines.js'
import {servicePortFromComment} from './service-names.js'

/** A KUBE-SEP chain: its Service port, its claim and where it sends traffic. */
export class EndpointChain {
  servicePort?: string
  /** The Service port the chain's own comments name (what hash-mismatch verifies), when they do. */
  claimed?: string
  /** `ip:port` of the DNAT, as written in the rule (`[fd00::1]:80` for IPv6). */
  endpoint?: string
  /** Where the DNAT rule is (see RuleHandle: the rule itself, or its chain and position); dnatIndex 0: none. */
  dnatIndex = 0
  #dnatRule: Rule | undefined
  #dnatChain: Chain | undefined
  /** Some nat rule jumps or goes to the chain (set by the rules view once the dump is read). */
  used = false
  /**
   * Where in the dump's text the comment that may name `claimed` stands, until the rules view
   * settles the claim (-1: settled, or nothing to settle). See ClaimReader in rules-view.ts.
   */
  claimStart = -1
  claimEnd = -1

  constructor(readonly chain: string) {}

  get dnatRule(): Rule | undefined {
    if (this.dnatIndex === 0) return undefined
    return (this.#dnatRule ??= this.#dnatChain?.rules[this.dnatIndex - 1])
  }

  /** Reads one rule of the chain, in order: the first DNAT with a destination is the endpoint. */
  readRule(line: RuleLine): void {
    if (this.dnatIndex !== 0 || line.target !== 'DNAT') return // only the DNAT rule, not the MARK-MASQ one
    const destination = line.dnatDestination()
    if (destination === undefined) return
    this.endpoint = canonicalEndpoint(destination)
    this.dnatIndex = line.index
    this.#dnatRule = line.parsedRule
    this.#dnatChain = line.sourceChain
  }
}

/**
 * The KUBE-SEP records of a view: in dump order, and by name once something asks by name (a
 * finding's evidence, mostly). A map of 10^5 names costs a big dump's check ~50 ms it rarely needs.
 */
export class EndpointChains {
  readonly #list: EndpointChain[] = []
  #byName: Map<string, EndpointChain> | undefined

  get size(): number {
    return this.#list.length
  }

  add(sep: EndpointChain): void {
    this.#list.push(sep)
    this.#byName?.set(sep.chain, sep)
  }

  get(chain: string): EndpointChain | undefined {
    this.#byName ??= new Map(this.#list.map((sep) => [sep.chain, sep]))
    return this.#byName.get(chain)
  }

  values(): IterableIterator<EndpointChain> {
    return this.#list.values()
  }
}

/** A nat KUBE-SERVICES rule that sends a destination to a per-service chain. */
export interface ServiceEntryRule {
  readonly rule: Rule
  servicePort?: string
  /** The destination address without its /32 or /128. */
  address?: string
  port?: number
  protocol?: string
  target: string
}

export interface NoEndpointsRule {
  readonly rule: Rule
  servicePort: string
  /** "has no local endpoints" (externalTrafficPolicy Local) rather than "has no endpoints". */
  local: boolean
}

export const SERVICE_KINDS = new Set<ChainKind>(['svc', 'svl', 'ext', 'fw', 'xlb'])
const NO_ENDPOINTS_COMMENT = /has no (local )?endpoints/

class ServiceEntry implements ServiceEntryRule {
  servicePort?: string
  address?: string
  port?: number
  protocol?: string

  constructor(
    private readonly ref: RuleHandle,
    readonly target: string,
  ) {}

  get rule(): Rule {
    return this.ref.rule
  }
}

export function readServiceEntry(line: RuleLine): ServiceEntryRule | undefined {
  const target = line.target
  if (!target || !SERVICE_KINDS.has(classifyChain(target))) return undefined
  const criterion = line.destination()
  const destination = criterion && !criterion.negated ? criterion.value : undefined
  const protocol = line.protocol()
  const entry = new ServiceEntry(ruleHandleOf(line), target)
  entry.servicePort = servicePortFromComment(line.comment())
  entry.address = destination?.replace(/\/(32|128)$/, '')
  entry.port = line.firstDestinationPort()
  entry.protocol = protocol && !protocol.negated ? protocol.value.toLowerCase() : undefined
  return entry
}

class NoEndpoints implements NoEndpointsRule {
  constructor(
    private readonly ref: RuleHandle,
    readonly servicePort: string,
    readonly local: boolean,
  ) {}

  get rule(): Rule {
    return this.ref.rule
  }
}

/** The REJECT/DROP rule's "has no (local) endpoints" claim, or undefined. */
export function readNoEndpointsRule(line: RuleLine): NoEndpointsRule | undefined {
  const target = line.target
  if (target !== 'REJECT' && target !== 'DROP') return undefined
  const comment = line.comment()
  const match = comment ? NO_ENDPOINTS_COMMENT.exec(comment) : null
  if (!match) return undefined
  const servicePort = servicePortFromComment(comment)
  return servicePort ? new NoEndpoints(ruleHandleOf(line), servicePort, Boolean(match[1])) : undefined
}

/** `ip:port` in one canonical spelling, so rule text and API addresses compare equal. */
export function canonicalEndpoint(text: string): string {
  // isPlainIpv4Endpoint accepts a subset of what the regexp does, without running it.
  if (isPlainIpv4Endpoint(text, 0) || CANONICAL_IPV4_ENDPOINT.test(text)) return text
  try {
    const {ip, port} = parseEndpoint(text)
    return formatEndpoint(ip, port)
  } catch {
    return text
  }
}
