/**
 * Value decoders shared by typed-matches.ts and typed-targets.ts. Each returns undefined on
 * malformed input; the caller turns that into a ParseIssue pointing at the option.
 */
import {addressFamily} from '../net/ip.js'
import {tryParsePortRange} from '../net/ports.js'
import type {NatRange, Negatable, Option, PortRange} from './types.js'

/** Called with the index of the offending option in `options` and a one-line message. */
export type OptionIssueReporter = (optionIndex: number, message: string) => void

export function negatable<T>(option: Option, value: T): Negatable<T> {
  return {negated: option.negated, value}
}

/** An unsigned 32-bit number, hex (`0x4000`) or decimal, as iptables prints marks. */
export function parseU32(text: string): number | undefined {
  if (text.length === 0 || text.length > 12) return undefined
  const hex = text.startsWith('0x') || text.startsWith('0X')
  const digits = hex ? text.slice(2) : text
  if (digits.length === 0 || !(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) return undefined
  const value = parseInt(digits, hex ? 16 : 10)
  return value <= 0xffffffff ? value : undefined
}

/** `value[/mask]` with the kernel's default mask 0xffffffff. */
export function parseMarkMask(text: string): {value: number; mask: number} | undefined {
  const slash = text.indexOf('/')
  const value = parseU32(slash < 0 ? text : text.slice(0, slash))
  const mask = slash < 0 ? 0xffffffff : parseU32(text.slice(slash + 1))
  return value === undefined || mask === undefined ? undefined : {value, mask}
}

/** A non-negative decimal integer (seconds, hitcount, every, packet). */
export function parseCount(text: string): number | undefined {
  if (text.length === 0 || text.length > 10 || !/^[0-9]+$/.test(text)) return undefined
  return Number(text)
}

/** `80,443,1000:2000` (multiport, at most 15 entries in the kernel but we do not enforce it). */
export function parsePortList(text: string): PortRange[] | undefined {
  const ranges: PortRange[] = []
  for (const part of text.split(',')) {
    const range = tryParsePortRange(part)
    if (!range) return undefined
    ranges.push(range)
  }
  return ranges
}

/** Comma-separated words (`LOCAL,UNICAST`, `RELATED,ESTABLISHED`). */
export function parseWordList(text: string): string[] | undefined {
  const words = text.split(',')
  return words.every((w) => w.length > 0) ? words : undefined
}

/**
 * A NAT range as DNAT/SNAT print it: `ADDR[-ADDR][:PORT[-PORT]]`, IPv6 addresses in brackets
 * when a port follows (`[fd00::1]:80`, `[fd00::1]-[fd00::2]:80-90`), bare IPv6 without one,
 * or just `:PORT` to change only the port.
 */
export function parseNatRange(text: string): NatRange | undefined {
  let addressPart: string
  let portPart: string | undefined
  if (text.startsWith('[')) {
    const close = text.lastIndexOf(']')
    if (close < 0) return undefined
    addressPart = text.slice(0, close + 1)
    const rest = text.slice(close + 1)
    if (rest !== '' && !rest.startsWith(':')) return undefined
    portPart = rest === '' ? undefined : rest.slice(1)
  } else if (text.indexOf(':') !== text.lastIndexOf(':')) {
    addressPart = text // bare IPv6 (range), no port
  } else {
    const colon = text.indexOf(':')
    addressPart = colon < 0 ? text : text.slice(0, colon)
    portPart = colon < 0 ? undefined : text.slice(colon + 1)
  }
  const range: NatRange = {text}
  if (addressPart !== '' && !decodeAddressRange(addressPart, range)) return undefined
  if (portPart !== undefined) {
    const ports = tryParsePortRange(portPart, '-')
    if (!ports) return undefined
    range.portFrom = ports.from
    range.portTo = ports.to
  }
  return range
}

function decodeAddressRange(text: string, into: NatRange): boolean {
  const dash = text.indexOf('-')
  const from = stripBrackets(dash < 0 ? text : text.slice(0, dash))
  const to = stripBrackets(dash < 0 ? text : text.slice(dash + 1))
  if (addressFamily(from) === undefined || addressFamily(to) === undefined) return false
  into.addressFrom = from
  into.addressTo = to
  return true
}

function stripBrackets(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
}

/** A probability as iptables accepts it: a decimal in [0, 1]. */
export function parseProbability(text: string): number | undefined {
  if (!/^(?:0|1)?(?:\.[0-9]{1,20})?$/.test(text) || text === '' || text === '.') return undefined
  const value = Number(text)
  return value >= 0 && value <= 1 ? value : undefined
}
