/**
 * Port ranges as iptables writes them: `80`, `80:90` (inclusive). iptables also accepts an open
 * end on input (`:90` = 0:90, `1024:` = 1024:65535); iptables-save always prints both ends.
 * NAT targets use a dash instead (`--to-ports 8080-8090`), hence the `separator` parameter.
 * Service names (`http`) are not accepted: iptables-save prints numbers only.
 */
import type {PortRange} from '../parse/types.js'
import {AddressError, parsePortNumber} from './ip.js'

/** Returns undefined on malformed input (callers decide whether that is an error). */
export function tryParsePortRange(text: string, separator = ':'): PortRange | undefined {
  const sep = text.indexOf(separator)
  if (sep < 0) {
    const port = parsePortNumber(text)
    return port === undefined ? undefined : {from: port, to: port}
  }
  const fromText = text.slice(0, sep)
  const toText = text.slice(sep + 1)
  const from = fromText === '' ? 0 : parsePortNumber(fromText)
  const to = toText === '' ? 65535 : parsePortNumber(toText)
  if (from === undefined || to === undefined || from > to) return undefined
  return {from, to}
}

export function parsePortRange(text: string, separator = ':'): PortRange {
  const range = tryParsePortRange(text, separator)
  if (!range) throw new AddressError(`bad port or port range "${text}" (expected N or N${separator}M, 0-65535)`, text)
  return range
}

export function portInRange(port: number, range: PortRange): boolean {
  return port >= range.from && port <= range.to
}

export function formatPortRange(range: PortRange, separator = ':'): string {
  return range.from === range.to ? String(range.from) : `${range.from}${separator}${range.to}`
}
