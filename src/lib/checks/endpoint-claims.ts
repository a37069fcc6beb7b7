/**
 * hash-mismatch's one costly part: a KUBE-SEP chain whose comments claim a Service port must be
 * named base32(sha256(port name + protocol + endpoint)), and a 10k-Service node has 10^5 of them.
 * The verdicts are plain data from plain strings, so they can be computed here (the reference,
 * and the fallback) or on another thread (endpoint-claims-worker.ts) while the other checks run.
 */
import {isEndpointChainName} from '../kube-proxy/names.js'
import {hashedNameForms} from './service-names.js'

const ALL_PROTOCOLS = ['tcp', 'udp', 'sctp']

/** One claim: the chain, the Service port its comments name, and the endpoint it DNATs to. */
export interface EndpointClaim {
  chain: string
  claimed: string
  endpoint: string
}

/** Is the chain named for the claimed Service port (any name form, any protocol) and its endpoint? */
export function claimHolds(chain: string, claimed: string, endpoint: string): boolean {
  for (const form of hashedNameForms(claimed)) {
    for (const protocol of ALL_PROTOCOLS) if (isEndpointChainName(chain, form, protocol, endpoint)) return true
  }
  return false
}

/** The verdicts, in order: 1 where the claim holds, 0 where it does not. */
export function verifyClaims(claims: readonly EndpointClaim[]): Uint8Array {
  const verdicts = new Uint8Array(claims.length)
  for (let k = 0; k < claims.length; k++) verdicts[k] = claimHolds(claims[k].chain, claims[k].claimed, claims[k].endpoint) ? 1 : 0
  return verdicts
}

/**
 * Claims as one string for another thread: one string is copied in one piece (no per-object
 * cloning). Every field ends with a newline, which none can hold: each comes from one line.
 */
export function encodeClaims(claims: readonly EndpointClaim[]): string {
  const parts: string[] = []
  for (const {chain, claimed, endpoint} of claims) parts.push(chain, claimed, endpoint)
  return parts.join('\n')
}

/** verifyClaims over encodeClaims' text. */
export function verifyEncodedClaims(text: string): Uint8Array {
  const fields = text === '' ? [] : text.split('\n')
  const verdicts = new Uint8Array(fields.length / 3)
  for (let k = 0; k < verdicts.length; k++) verdicts[k] = claimHolds(fields[3 * k], fields[3 * k + 1], fields[3 * k + 2]) ? 1 : 0
  return verdicts
}
