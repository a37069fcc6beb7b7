/**
 * IPv4/IPv6 addresses, CIDRs and endpoints, on top of ipaddr.js. Every address kpx handles goes
 * through this module, so the semantics below hold everywhere:
 *
 * - Addresses are strict: IPv4 only in four-part decimal (`10.0.0.1`; ipaddr.js would also
 *   accept `10.1`, `0x0a.0.0.1` and octal, which iptables-save never prints and which would
 *   make `010.0.0.1` silently mean 8.0.0.1). IPv6 in any RFC 4291 text form, no zone index
 *   (`fe80::1%eth0`: netfilter rules cannot carry one).
 * - A CIDR is `address/prefix`; a bare address means a host route (/32 or /128), which is how
 *   iptables treats `-s 10.0.0.1`. Host bits may be set (`10.0.0.1/8` is accepted and means
 *   10.0.0.0/8, as iptables itself masks them away).
 * - Host-in-subnet: `cidrContains(cidr, addr)` is true when the first `prefix` bits agree.
 *   Subnet-in-subnet is `cidrContains(outer, inner.address)` plus `outer.prefix <= inner.prefix`;
 *   see `cidrCovers`.
 * - Families never mix: an IPv4 address is not inside any IPv6 CIDR, not even `::ffff:0:0/96`.
 *   iptables and ip6tables are separate tables, so a v4 packet never meets a v6 rule.
 */
import ipaddr from 'ipaddr.js'

import type {IpFamily} from '../parse/types.js'

export class AddressError extends Error {
  readonly input: string
  constructor(message: string, input: string) {
    super(message)
    this.name = 'AddressError'
    this.input = input
  }
}

/** A parsed address: the family and the canonical text (`fd00::1`, `10.0.0.1`). */
export interface Address {
  family: IpFamily
  /** Canonical form: dotted quad, or RFC 5952 compressed lower-case IPv6. */
  text: string
  /** The address as 4 or 16 bytes (network order). */
  bytes: number[]
}

export interface Cidr {
  address: Address
  prefix: number
  /** `address/prefix` in canonical form, host bits kept as written. */
  text: string
}

export function addressFamily(text: string): IpFamily | undefined {
  if (isDottedQuad(text)) return 4
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) return 6
  return undefined
}

/**
 * Strict four-part decimal IPv4, without a regex or allocation: DNAT targets are checked for
 * every endpoint rule of a 400k-rule dump. Leading zeros are refused (`010.0.0.1`), as octal
 * readings differ between tools.
 */
function isDottedQuad(text: string): boolean {
  const n = text.length
  if (n < 7 || n > 15) return false
  let parts = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : text.charCodeAt(i)
    if (c === 46 /* . */) {
      if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(i - digits) === 48)) return false
      parts++
      value = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48)
      if (++digits > 3) return false
    } else return false
  }
  return parts === 4
}

export function isAddress(text: string): boolean {
  return addressFamily(text) !== undefined
}

export function parseAddress(text: string): Address {
  const family = addressFamily(text)
  if (family === undefined) throw new AddressError(`not an IP address: "${text}"`, text)
  const parsed = family === 4 ? ipaddr.IPv4.parse(text) : ipaddr.IPv6.parse(text)
  return {family, text: parsed.toString(), bytes: parsed.toByteArray()}
}

/** `10.0.0.0/8`, `fd00::/64`, or a bare address (a host: /32 or /128). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/')
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash))
  const max = address.family === 4 ? 32 : 128
  if (slash < 0) return {address, prefix: max, text: `${address.text}/${max}`}
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw new AddressError(`bad prefix length "${prefixText}" in "${text}" (0-${max})`, text)
  }
  const prefix = Number(prefixText)
  return {address, prefix, text: `${address.text}/${prefix}`}
}

/** Host-in-subnet: do the first `cidr.prefix` bits of `addr` equal the CIDR's? */
export function cidrContains(cidr: Cidr | string, addr: Address | string): boolean {
  const range = typeof cidr === 'string' ? parseCidr(cidr) : cidr
  const address = typeof addr === 'string' ? parseAddress(addr) : addr
  if (range.address.family !== address.family) return false
  return prefixBitsEqual(range.address.bytes, address.bytes, range.prefix)
}

/** Subnet-in-subnet: every address of `inner` is inside `outer`. */
export function cidrCovers(outer: Cidr | string, inner: Cidr | string): boolean {
  const o = typeof outer === 'string' ? parseCidr(outer) : outer
  const i = typeof inner === 'string' ? parseCidr(inner) : inner
  return o.prefix <= i.prefix && cidrContains(o, i.address)
}

function prefixBitsEqual(a: number[], b: number[], bits: number): boolean {
  const whole = bits >> 3
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false
  const rest = bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return (a[whole] & mask) === (b[whole] & mask)
}

export interface Endpoint {
  ip: string
  family: IpFamily
  port: number
}

/** `10.0.0.1:80`, or `[fd00::1]:80` for IPv6 (the bracket form kube-proxy and DNAT use). */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

/** Inverse of formatEndpoint. Throws AddressError on anything else (missing port, bad IP). */
export function parseEndpoint(text: string): Endpoint {
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']:')
    if (close < 0) throw new AddressError(`bad endpoint "${text}": expected [ipv6]:port`, text)
    host = text.slice(1, close)
    portText = text.slice(close + 2)
  } else {
    const colon = text.lastIndexOf(':')
    if (colon < 0 || text.indexOf(':') !== colon) {
      throw new AddressError(`bad endpoint "${text}": expected ip:port (IPv6 as [ip]:port)`, text)
    }
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
  }
  const address = parseAddress(host)
  const port = parsePortNumber(portText)
  if (port === undefined) throw new AddressError(`bad port "${portText}" in "${text}"`, text)
  return {ip: address.text, family: address.family, port}
}

/** A decimal port 0-65535, or undefined. Strict: no sign, no spaces, at most 5 digits. */
export function parsePortNumber(text: string): number | undefined {
  const n = text.length
  if (n === 0 || n > 5) return undefined
  let value = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return undefined
    value = value * 10 + c
  }
  return value <= 65535 ? value : undefined
}

/**
 * The canonical text of an address (RFC 5952 for IPv6; an IPv4-mapped IPv6 address becomes its
 * IPv4 form), so differently written addresses compare equal. Not an address: returned as is.
 */
/** An IPv4 octet without leading zeros. */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'

/** A dotted quad without leading zeros: the one spelling canonicalIp gives an IPv4 address. */
export const CANONICAL_IPV4 = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`)

/** `ip:port` with a canonical dotted quad and a port without leading zeros (as formatEndpoint writes it). */
export const CANONICAL_IPV4_ENDPOINT = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}:[1-9]\\d{0,4}$`)

export function canonicalIp(ip: string): string {
  try {
    return ipaddr.process(ip).toString()
  } catch {
    return ip
  }
}
