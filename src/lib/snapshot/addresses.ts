/**
 * A node's local addresses (what `-m addrtype --dst-type LOCAL` matches), from addresses.txt.
 * Two forms are accepted, mixed freely:
 *  - `ip -o addr show` output: `2: eth0    inet 192.168.64.35/24 brd ... scope global eth0\ ...`
 *  - one address per line, optionally with a prefix length: `192.168.64.35` or `10.0.0.1/24`
 * Blank lines and `#` comments are skipped. Prefix lengths are dropped: LOCAL means the address
 * itself, not its subnet.
 */
import {isIP} from 'node:net'

import {InputError} from '../errors.js'
import type {Node} from './types.js'

export function parseAddresses(text: string, origin: string): string[] {
  const found = new Set<string>()
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const address = addressOfLine(line)
    if (address === undefined) {
      throw new InputError(`${origin}:${index + 1}: not an address or an \`ip -o addr show\` line: ${truncate(line)}`)
    }
    found.add(address)
  })
  return [...found]
}

function addressOfLine(line: string): string | undefined {
  const words = line.split(/\s+/)
  const family = words.findIndex((word) => word === 'inet' || word === 'inet6')
  const candidate = family >= 0 ? words[family + 1] : words.length === 1 ? words[0] : undefined
  if (candidate === undefined) return undefined
  const address = candidate.replace(/\/\d+$/, '')
  return isIP(address) ? address : undefined
}

/**
 * The interfaces and their connected subnets, from the `ip -o addr show` lines of addresses.txt
 * (`2: eth0    inet 192.168.64.35/24 ...`). The tracer uses them to decide `-i`/`-o` matches
 * (a packet to a connected subnet leaves by that interface) instead of forking on them.
 * Lines without an interface name (bare addresses) contribute nothing.
 */
export function parseInterfaces(text: string): {name: string; cidr: string}[] {
  const found: {name: string; cidr: string}[] = []
  for (const raw of text.split(/\r?\n/)) {
    const words = raw.trim().split(/\s+/)
    const family = words.findIndex((word) => word === 'inet' || word === 'inet6')
    // `ip -o` puts "N:" first and the interface second; veth names carry an "@peer" suffix.
    if (family < 2 || !/^\d+:$/.test(words[0])) continue
    const cidr = words[family + 1]
    if (!cidr?.includes('/') || isIP(cidr.replace(/\/\d+$/, '')) === 0) continue
    found.push({name: words[1].replace(/@.*$/, ''), cidr})
  }
  return found
}

/**
 * addresses.txt as kpx writes it: `ip -o addr show` lines when the interfaces are known (so a
 * re-read keeps them), else one address per line.
 */
export function formatAddresses(addresses: string[], interfaces: {name: string; cidr: string}[] = []): string {
  const covered = new Set(interfaces.map((i) => i.cidr.replace(/\/\d+$/, '')))
  const lines = interfaces.map((i, n) => `${n + 1}: ${i.name}    ${i.cidr.includes(':') ? 'inet6' : 'inet'} ${i.cidr} scope global ${i.name}`)
  for (const address of addresses) if (!covered.has(address)) lines.push(address)
  return lines.map((line) => line + '\n').join('')
}

/**
 * Fallback when a node has no addresses.txt: the InternalIP/ExternalIP addresses the Node object
 * reports. Incomplete (no loopback, no secondary addresses) but right for NodePort traffic.
 */
export function addressesFromNode(node: Node | undefined): string[] {
  const addresses = node?.status?.addresses ?? []
  return addresses
    .filter((entry) => entry.type === 'InternalIP' || entry.type === 'ExternalIP')
    .map((entry) => entry.address)
    .filter((address) => isIP(address) !== 0)
}

function truncate(line: string): string {
  return line.length > 80 ? line.slice(0, 77) + '...' : line
}
