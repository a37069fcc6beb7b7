/**
 * kube-proxy's iptables naming conventions (pkg/proxy/iptables/proxier.go), as data.
 */
import * as crypto from 'node:crypto'

import {sha256Ascii, sha256AsciiJoined} from './sha256.js'

export const KUBE_SERVICES = 'KUBE-SERVICES'
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS'
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES'
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING'
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ'
export const KUBE_MARK_DROP = 'KUBE-MARK-DROP'
export const KUBE_FORWARD = 'KUBE-FORWARD'
export const KUBE_FIREWALL = 'KUBE-FIREWALL'
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL'
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY'
export const KUBE_KUBELET_CANARY = 'KUBE-KUBELET-CANARY'

/** The kinds of chain kpx distinguishes. Per-service kinds are identified by prefix. */
export type ChainKind =
  | 'builtin'
  | 'services' // KUBE-SERVICES
  | 'nodeports' // KUBE-NODEPORTS
  | 'external-services' // KUBE-EXTERNAL-SERVICES (filter)
  | 'postrouting' // KUBE-POSTROUTING
  | 'mark-masq' // KUBE-MARK-MASQ
  | 'mark-drop' // KUBE-MARK-DROP (pre-1.25)
  | 'forward' // KUBE-FORWARD
  | 'firewall' // KUBE-FIREWALL
  | 'proxy-firewall' // KUBE-PROXY-FIREWALL
  | 'canary' // KUBE-PROXY-CANARY, KUBE-KUBELET-CANARY
  | 'svc' // KUBE-SVC-<hash>: cluster traffic policy endpoints
  | 'svl' // KUBE-SVL-<hash>: local traffic policy endpoints (>= 1.24)
  | 'ext' // KUBE-EXT-<hash>: external traffic entry (>= 1.24)
  | 'fw' // KUBE-FW-<hash>: load-balancer source ranges
  | 'xlb' // KUBE-XLB-<hash>: externalTrafficPolicy Local (< 1.24)
  | 'sep' // KUBE-SEP-<hash>: one endpoint
  | 'portals' // KUBE-PORTALS-CONTAINER / -HOST: userspace-mode leftovers
  | 'userspace-nodeports' // KUBE-NODEPORT-CONTAINER / -HOST: userspace-mode leftovers
  | 'cni-hostport' // CNI-HOSTPORT-DNAT, CNI-HOSTPORT-SNAT, CNI-HOSTPORT-SETMARK, CNI-HOSTPORT-MASQ
  | 'cni-dn' // CNI-DN-<hash>: one hostPort mapping
  | 'kube-other' // any other KUBE-*
  | 'other'

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'])

const FIXED: Record<string, ChainKind> = {
  [KUBE_SERVICES]: 'services',
  [KUBE_NODEPORTS]: 'nodeports',
  [KUBE_EXTERNAL_SERVICES]: 'external-services',
  [KUBE_POSTROUTING]: 'postrouting',
  [KUBE_MARK_MASQ]: 'mark-masq',
  [KUBE_MARK_DROP]: 'mark-drop',
  [KUBE_FORWARD]: 'forward',
  [KUBE_FIREWALL]: 'firewall',
  [KUBE_PROXY_FIREWALL]: 'proxy-firewall',
  [KUBE_PROXY_CANARY]: 'canary',
  [KUBE_KUBELET_CANARY]: 'canary',
  'KUBE-PORTALS-CONTAINER': 'portals',
  'KUBE-PORTALS-HOST': 'portals',
  'KUBE-NODEPORT-CONTAINER': 'userspace-nodeports',
  'KUBE-NODEPORT-HOST': 'userspace-nodeports',
  'CNI-HOSTPORT-DNAT': 'cni-hostport',
  'CNI-HOSTPORT-SNAT': 'cni-hostport',
  'CNI-HOSTPORT-SETMARK': 'cni-hostport',
  'CNI-HOSTPORT-MASQ': 'cni-hostport',
}

/** Per-service chain prefixes, longest first is not needed: they are all distinct. */
export const HASHED_PREFIXES: Record<string, ChainKind> = {
  'KUBE-SVC-': 'svc',
  'KUBE-SVL-': 'svl',
  'KUBE-EXT-': 'ext',
  'KUBE-FW-': 'fw',
  'KUBE-XLB-': 'xlb',
  'KUBE-SEP-': 'sep',
  'CNI-DN-': 'cni-dn',
}

/** FIXED as a Map: an object literal would answer `constructor` or `__proto__` with Object's own members. */
const FIXED_KINDS = new Map(Object.entries(FIXED))

/**
 * The kind of a chain from its name. Runs for every chain of a 10^5-chain dump and for every jump
 * a trace follows: prefix tests on the name (no memo table, whose lookups cost more than this).
 * No fixed name starts with a hashed prefix, so testing the prefixes first gives the same answer.
 */
export function classifyChain(name: string): ChainKind {
  if (name.startsWith('KUBE-')) return hashedKind(name) ?? FIXED_KINDS.get(name) ?? 'kube-other'
  if (name.startsWith('CNI-')) return name.startsWith('CNI-DN-') ? 'cni-dn' : FIXED_KINDS.get(name) ?? 'other'
  return BUILTIN_CHAINS.has(name) ? 'builtin' : 'other'
}

/**
 * KUBE-SVC-/SVL-/SEP-/EXT-/FW-/XLB- (the KUBE- entries of HASHED_PREFIXES): the letter after
 * `KUBE-` picks the candidates, one prefix test confirms. No string is made.
 */
function hashedKind(name: string): ChainKind | undefined {
  switch (name.charCodeAt(5)) {
    case 83: // S
      return name.startsWith('KUBE-SVC-') ? 'svc' : name.startsWith('KUBE-SEP-') ? 'sep' : name.startsWith('KUBE-SVL-') ? 'svl' : undefined
    case 69: // E
      return name.startsWith('KUBE-EXT-') ? 'ext' : undefined
    case 70: // F
      return name.startsWith('KUBE-FW-') ? 'fw' : undefined
    case 88: // X
      return name.startsWith('KUBE-XLB-') ? 'xlb' : undefined
    default:
      return undefined
  }
}

/** KUBE-SVC/SVL/EXT/FW/XLB/SEP-<hash>: kube-proxy's per-Service (and per-endpoint) chains. */
export function isPerServiceChain(name: string): boolean {
  return name.startsWith('KUBE-') && hashedKind(name) !== undefined
}

/**
 * kube-proxy's `portProtoHash`: base32(sha256(servicePortName + protocol))[:16].
 * servicePortName is `namespace/name:portName`, or `namespace/name` for an unnamed port
 * (some older versions wrote `namespace/name:` — callers try both). protocol is lower case.
 * 16 base32 characters keep every chain name within iptables' 28-character limit
 * (`KUBE-SVC-` + 16 = 25; KUBE-EXT-/KUBE-SVL-/KUBE-SEP- are the same length).
 */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32Prefix16(sha256(servicePortName + protocol.toLowerCase()))
}

/** Chain name for a service port: `serviceChainName('KUBE-SVC-', 'default/ghost', 'tcp')`. */
export function serviceChainName(prefix: string, servicePortName: string, protocol: string): string {
  return prefix + portProtoHash(servicePortName, protocol)
}

/** KUBE-SEP-<hash> of one endpoint: the hash also covers the endpoint's `ip:port` (`[ip6]:port`). */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + base32Prefix16(sha256(servicePortName + protocol.toLowerCase() + endpoint))
}

const SEP_PREFIX = 'KUBE-SEP-'

/**
 * Whether `chain` is endpointChainName(servicePortName, protocol, endpoint), compared in place:
 * `kpx check` verifies 10^5 KUBE-SEP names, and making each expected name (the joined text to
 * hash, then 16 base32 characters) costs more than the hash.
 */
export function isEndpointChainName(chain: string, servicePortName: string, protocol: string, endpoint: string): boolean {
  if (chain.length !== SEP_PREFIX.length + 16 || !chain.startsWith(SEP_PREFIX)) return false
  const digest = sha256AsciiJoined(servicePortName, protocol.toLowerCase(), endpoint)
  if (digest === undefined) return chain === endpointChainName(servicePortName, protocol, endpoint)
  return base32Prefix16Equals(digest, chain, SEP_PREFIX.length)
}

/** The service port name kube-proxy uses: `ns/name:port`, or `ns/name` when the port is unnamed. */
export function servicePortName(namespace: string, name: string, portName?: string): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * sha256 of a string's UTF-8 bytes. `kpx check` hashes every KUBE-SEP chain of a dump (10^5):
 * ASCII text (all kube-proxy names) goes through sha256.ts, at half the cost of node:crypto.
 */
function sha256(text: string): Uint8Array {
  return sha256Ascii(text) ?? crypto.createHash('sha256').update(text).digest()
}

/**
 * The first 16 characters of RFC 4648 base32 (Go's base32.StdEncoding): 16 × 5 bits come from
 * the first 10 bytes, so the rest of the digest is never encoded.
 */
function base32Prefix16(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (let i = 0; i < 10; i++) {
    value = ((value << 8) | bytes[i]) & 0xfff // never more than 12 bits are pending
    bits += 8
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

/** Whether text, from `offset`, spells base32Prefix16(bytes); no string is made. */
export function base32Prefix16Equals(bytes: Uint8Array, text: string, offset: number): boolean {
  let at = offset
  let bits = 0
  let value = 0
  for (let i = 0; i < 10; i++) {
    value = ((value << 8) | bytes[i]) & 0xfff
    bits += 8
    while (bits >= 5) {
      if (BASE32_ALPHABET.charCodeAt((value >>> (bits - 5)) & 31) !== text.charCodeAt(at++)) return false
      bits -= 5
    }
  }
  return true
}
