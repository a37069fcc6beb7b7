/**
 * What the rules view reads from single rules: a KUBE-SEP chain's DNAT, a KUBE-SERVICES entry,
 * a "has no endpoints" rule. Each reads the line's facts (rule-facts.ts) and decodes nothing
 * when the line is in one of kube-proxy's plain shapes.
 */
import {classifyChain, type ChainKind} from '../kube-proxy/names.js'
import {isPlainIpv4Endpoint} from '../kube-proxy/line-shapes.js'
import {destinationOf, dnatDestinationOf, firstDestinationPort, protocolCriterionOf} from '../kube-proxy/rule-facts.js'
import {CANONICAL_IPV4_ENDPOINT, formatEndpoint, parseEndpoint} from '../net/ip.js'
import {targetNameOf} from '../parse/lazy-rule.js'
import type {Chain, Rule} from '../parse/types.js'
import {servicePortFromComment} from './service-names.js'

export interface EndpointChain {
  chain: string
  servicePort?: string
  /** The Service port the chain's own comments name (what hash-mismatch verifies), when they do. */
  claimed?: string
  /** `ip:port` of the DNAT, as written in the rule (`[fd00::1]:80` for IPv6). */
  endpoint?: string
  dnatRule?: Rule
  /** Some nat rule jumps or goes to the chain (set by the rules view once the dump is read). */
  used: boolean
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

export const SERVICE_KINDS = new Set<ChainKind>(['svc', 'svl', 'ext', 'fw', 'xlb'])
const NO_ENDPOINTS_COMMENT = /has no (local )?endpoints/

export function readEndpointChain(chain: Chain, servicePort: string | undefined, claimed: string | undefined): EndpointChain {
  const endpointChain: EndpointChain = {chain: chain.name, servicePort, claimed, used: false}
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

export function readServiceEntry(rule: Rule): ServiceEntryRule | undefined {
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

/** The REJECT/DROP rule's "has no (local) endpoints" claim, or undefined. */
export function readNoEndpointsRule(rule: Rule): NoEndpointsRule | undefined {
  const match = rule.comment ? NO_ENDPOINTS_COMMENT.exec(rule.comment) : null
  const target = targetNameOf(rule)
  if (!match || (target !== 'REJECT' && target !== 'DROP')) return undefined
  const servicePort = servicePortFromComment(rule.comment)
  return servicePort ? {rule, servicePort, local: Boolean(match[1])} : undefined
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
