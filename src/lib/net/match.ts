/**
 * The hot-path side of src/lib/net: addresses and CIDRs as bigints so that IPv4 and IPv6 share
 * one code path in the tracer's inner loop. Parsing is ipaddr.js (as in ip.ts); results are
 * cached because kube-proxy repeats the same `/32` destinations across thousands of rules and
 * traces. ip.ts is the validating API (typed errors); this file answers "does it match?" fast.
 *
 * Semantics (as iptables): `-s 10.0.0.0/8` matches a host inside the subnet; a bare address is
 * a /32 (/128); an address of the other family never matches.
 */
import ipaddr from 'ipaddr.js'

export interface Ip {
  family: 4 | 6
  value: bigint
}

export interface Cidr {
  family: 4 | 6
  /** Network bits (host bits already cleared). */
  net: bigint
  mask: bigint
}

const ipCache = new Map<string, Ip | null>()
const cidrCache = new Map<string, Cidr | null>()

function toBigInt(bytes: number[]): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

/** Parses an IPv4 or IPv6 address (no prefix). null when it is not one. */
export function parseIp(text: string): Ip | null {
  const cached = ipCache.get(text)
  if (cached !== undefined) return cached
  let result: Ip | null = null
  if (ipaddr.isValid(text)) {
    const addr = ipaddr.parse(text)
    result = {family: addr.kind() === 'ipv4' ? 4 : 6, value: toBigInt(addr.toByteArray())}
  }
  ipCache.set(text, result)
  return result
}

/** Parses `a.b.c.d[/n]` or `v6[/n]`; a bare address is a host route. null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const cached = cidrCache.get(text)
  if (cached !== undefined) return cached
  const slash = text.indexOf('/')
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash))
  let result: Cidr | null = null
  if (ip) {
    const width = ip.family === 4 ? 32 : 128
    const prefix = slash < 0 ? width : Number(text.slice(slash + 1))
    if (Number.isInteger(prefix) && prefix >= 0 && prefix <= width) {
      const all = (1n << BigInt(width)) - 1n
      const mask = all ^ ((1n << BigInt(width - prefix)) - 1n)
      result = {family: ip.family, net: ip.value & mask, mask}
    }
  }
  cidrCache.set(text, result)
  return result
}

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  return cidr.family === ip.family && (ip.value & cidr.mask) === cidr.net
}

/** Canonical text of an address (RFC 5952 for IPv6), or the input when it is not an address. */
export {canonicalIp as normalizeIp} from './ip.js'

/** `10.0.0.1:80`, `[fd00::1]:80`. */
export {formatEndpoint as formatHostPort} from './ip.js'

/** Splits `10.0.0.1:80` / `[fd00::1]:80`; port null when absent. */
export function splitHostPort(text: string): {host: string; port: number | null} {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed) return {host: bracketed[1], port: bracketed[2] === undefined ? null : Number(bracketed[2])}
  const colons = text.split(':').length - 1
  if (colons === 1) {
    const [host, port] = text.split(':')
    return {host, port: /^\d+$/.test(port) ? Number(port) : null}
  }
  return {host: text, port: null}
}

export function isLoopback(ip: Ip): boolean {
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n
}

export function isMulticast(ip: Ip): boolean {
  return ip.family === 4 ? ip.value >> 28n === 0xen : ip.value >> 120n === 0xffn
}
