/**
 * Which Service port a kube-proxy rule or chain belongs to: read from its comment (every form
 * kube-proxy wrote since 1.20), or from the chain-name hash when the cluster's Services are known
 * (kube-proxy drops comments above 1000 endpoints, so comment-less chains are normal).
 */
import {servicePortKeyOf} from '../kube-proxy/comments.js'
import {HASHED_PREFIXES, portProtoHash} from '../kube-proxy/names.js'

/**
 * The service port a rule comment names (every form kube-proxy wrote since 1.20), as
 * `ns/svc:port`, or `ns/svc` for an unnamed port (also when written `ns/svc:`).
 */
export function servicePortFromComment(comment: string | undefined): string | undefined {
  return servicePortKeyOf(comment)
}

/** `ns/svc:port` → its namespace, for --namespace filtering. */
export function namespaceOf(servicePort: string): string {
  return servicePort.slice(0, servicePort.indexOf('/'))
}

/** The name forms kube-proxy may have hashed for a port: unnamed ports were once `ns/svc:`. */
export function hashedNameForms(servicePort: string): string[] {
  return servicePort.includes(':') ? [servicePort] : [servicePort, servicePort + ':']
}

const PROTOCOLS = ['tcp', 'udp', 'sctp']

const SERVICE_CHAIN_PREFIXES = new Set(Object.keys(HASHED_PREFIXES).filter((p) => p.startsWith('KUBE-') && p !== 'KUBE-SEP-'))

/** The 16-character hash of a service chain (KUBE-SVC-/SVL-/EXT-/FW-/XLB-), or undefined. */
export function serviceChainHash(chain: string): string | undefined {
  const dash = chain.indexOf('-', 5) // after "KUBE-": one lookup instead of a prefix loop (runs per chain)
  return dash > 0 && SERVICE_CHAIN_PREFIXES.has(chain.slice(0, dash + 1)) ? chain.slice(dash + 1) : undefined
}

/**
 * hash → service port, for every port of every known Service (both unnamed forms). Built once
 * per run: O(service ports).
 */
export function buildHashIndex(servicePorts: {name: string; protocol: string}[]): Map<string, string> {
  const index = new Map<string, string>()
  for (const {name, protocol} of servicePorts) {
    for (const form of hashedNameForms(name)) index.set(portProtoHash(form, protocol), name)
  }
  return index
}

/** Does the chain's hash belong to `servicePort` under any protocol and name form? */
export function hashMatches(chainHash: string, servicePort: string, protocols: string[] = PROTOCOLS): boolean {
  return hashedNameForms(servicePort).some((form) => protocols.some((p) => cachedPortProtoHash(form, p) === chainHash))
}

// KUBE-SVC/SVL/EXT/FW of one Service port share a hash: compute it once per run, not per chain.
const hashCache = new Map<string, string>()

function cachedPortProtoHash(name: string, protocol: string): string {
  const key = `${name} ${protocol}`
  let hash = hashCache.get(key)
  if (hash === undefined) {
    if (hashCache.size > 100_000) hashCache.clear() // bounded: a long-lived process checks many snapshots
    hash = portProtoHash(name, protocol)
    hashCache.set(key, hash)
  }
  return hash
}
