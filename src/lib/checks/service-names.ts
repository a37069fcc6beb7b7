/**
 * Which Service port a kube-proxy rule or chain belongs to: read from its comment (every form
 * kube-proxy wrote since 1.20), or from the chain-name hash when the cluster's Services are known
 * (kube-proxy drops comments above 1000 endpoints, so comment-less chains are normal).
 */
import {HASHED_PREFIXES, portProtoHash} from '../kube-proxy/names.js'

/**
 * A service port name anywhere in a comment: `ns/svc:port cluster IP`, `ns/svc`, `ns/svc:`
 * (older unnamed ports), `ns/svc:port -> 10.0.0.1:80`, `masquerade traffic for ns/svc:port ...`.
 * DNS-1123 names; the port part may be empty.
 */
const SERVICE_PORT_IN_COMMENT = /(?:^|\s)([a-z0-9][-a-z0-9.]*\/[a-z0-9][-a-z0-9.]*(?::[-a-z0-9]*)?)(?=\s|$)/

/** `ns/svc:` and `ns/svc` are the same unnamed port; findings use the form without the colon. */
export function normalizeServicePort(name: string): string {
  return name.endsWith(':') ? name.slice(0, -1) : name
}

export function servicePortFromComment(comment: string | undefined): string | undefined {
  if (!comment) return undefined
  const match = SERVICE_PORT_IN_COMMENT.exec(comment)
  return match ? normalizeServicePort(match[1]) : undefined
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

/** The 16-character hash of a service chain (KUBE-SVC-/SVL-/EXT-/FW-/XLB-), or undefined. */
export function serviceChainHash(chain: string): string | undefined {
  for (const prefix in HASHED_PREFIXES) {
    if (prefix !== 'KUBE-SEP-' && prefix.startsWith('KUBE-') && chain.startsWith(prefix)) return chain.slice(prefix.length)
  }
  return undefined
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
  return hashedNameForms(servicePort).some((form) => protocols.some((p) => portProtoHash(form, p) === chainHash))
}
