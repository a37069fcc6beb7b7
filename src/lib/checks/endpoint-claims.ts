/**
 * hash-mismatch's one costly part: a KUBE-SEP chain whose comments claim a Service port must be
 * named base32(sha256(port name + protocol + endpoint)), and a 10k-Service node has 10^5 of them.
 * The verdicts are plain data from plain strings, so they can be computed here (the reference,
 * and the fallback) or on another thread (endpoint-claims-worker.ts) while the other checks run.
 */
import {base32Prefix16Equals, isEndpointChainName} from '../kube-proxy/names.js'
import {sha256AsciiSpans} from '../kube-proxy/sha256.js'
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

/**
 * verifyClaims over encodeClaims' text, read in place: each claim's parts are hashed where they
 * stand in the text (no string per field: 3×10^5 of them would cost the thread as much as the
 * hashing). A claim this cannot settle so (another name form, non-ASCII) is cut out and
 * verified by claimHolds.
 */
export function verifyEncodedClaims(text: string): Uint8Array {
  const verdicts: number[] = []
  for (let start = 0; start < text.length; ) {
    const chainEnd = text.indexOf('\n', start)
    const claimedEnd = text.indexOf('\n', chainEnd + 1)
    let endpointEnd = text.indexOf('\n', claimedEnd + 1)
    if (endpointEnd < 0) endpointEnd = text.length
    verdicts.push(claimHoldsInPlace(text, start, chainEnd, claimedEnd, endpointEnd) ? 1 : 0)
    start = endpointEnd + 1
  }
  return Uint8Array.from(verdicts)
}

const SEP_PREFIX = 'KUBE-SEP-'

/** claimHolds for the claim whose chain, claimed port and endpoint are the text's fields from `chainStart` (each ends at the next end). */
function claimHoldsInPlace(text: string, chainStart: number, chainEnd: number, claimedEnd: number, endpointEnd: number): boolean {
  const claimedStart = chainEnd + 1
  const endpointStart = claimedEnd + 1
  if (chainEnd - chainStart !== SEP_PREFIX.length + 16 || !text.startsWith(SEP_PREFIX, chainStart)) return false
  for (const protocol of ALL_PROTOCOLS) {
    const digest = sha256AsciiSpans(text, claimedStart, claimedEnd, protocol, 0, protocol.length, text, endpointStart, endpointEnd)
    if (digest === undefined) break
    if (base32Prefix16Equals(digest, text, chainStart + SEP_PREFIX.length)) return true
  }
  // The claimed name as written did not give the chain's name: its other form, or non-ASCII text.
  return claimHolds(text.slice(chainStart, chainEnd), text.slice(claimedStart, claimedEnd), text.slice(endpointStart, endpointEnd))
}
