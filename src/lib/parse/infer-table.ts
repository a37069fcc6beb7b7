/**
 * Which table a rule belongs to when the input does not say (`iptables -S` without `-t`,
 * `iptables-save | grep ...` fragments). kube-proxy puts each chain in one table, so the chain
 * name usually decides; chains that exist in both nat and filter (KUBE-SERVICES, KUBE-NODEPORTS,
 * OUTPUT) are decided by the target. An explicit table (`opts.table`, `--table`) always wins.
 *
 * | evidence                                                             | table  |
 * |----------------------------------------------------------------------|--------|
 * | chain PREROUTING, POSTROUTING, KUBE-POSTROUTING, KUBE-MARK-MASQ,      | nat    |
 * |   KUBE-MARK-DROP, KUBE-SVC-*, KUBE-SVL-*, KUBE-EXT-*, KUBE-FW-*,      |        |
 * |   KUBE-XLB-*, KUBE-SEP-*                                              |        |
 * | chain INPUT, FORWARD, KUBE-FORWARD, KUBE-FIREWALL,                    | filter |
 * |   KUBE-PROXY-FIREWALL, KUBE-EXTERNAL-SERVICES                         |        |
 * | target DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP, KUBE-MARK-MASQ,      | nat    |
 * |   KUBE-NODEPORTS, KUBE-POSTROUTING, KUBE-SVC-*, KUBE-SVL-*,           |        |
 * |   KUBE-EXT-*, KUBE-FW-*, KUBE-XLB-*, KUBE-SEP-*                       |        |
 * | target REJECT, DROP, ACCEPT, KUBE-FORWARD, KUBE-FIREWALL,             | filter |
 * |   KUBE-PROXY-FIREWALL, KUBE-EXTERNAL-SERVICES                         |        |
 * | nothing decides (e.g. `-A OUTPUT -j KUBE-SERVICES`)                   | none   |
 *
 * Callers fall back to the chain's table from an earlier rule, then to `filter`, iptables'
 * default table.
 */
const NAT_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-XLB-', 'KUBE-SEP-']

const NAT_CHAINS = new Set(['PREROUTING', 'POSTROUTING', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-MARK-DROP'])
const FILTER_CHAINS = new Set(['INPUT', 'FORWARD', 'KUBE-FORWARD', 'KUBE-FIREWALL', 'KUBE-PROXY-FIREWALL', 'KUBE-EXTERNAL-SERVICES'])

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING'])
const FILTER_TARGETS = new Set(['REJECT', 'DROP', 'ACCEPT', 'KUBE-FORWARD', 'KUBE-FIREWALL', 'KUBE-PROXY-FIREWALL', 'KUBE-EXTERNAL-SERVICES'])

const hasNatPrefix = (name: string) => NAT_PREFIXES.some((p) => name.startsWith(p))

export function inferTableFromChain(chain: string): 'nat' | 'filter' | undefined {
  if (NAT_CHAINS.has(chain) || hasNatPrefix(chain)) return 'nat'
  if (FILTER_CHAINS.has(chain)) return 'filter'
  return undefined
}

export function inferTable(chain: string, target: string | undefined): 'nat' | 'filter' | undefined {
  const byChain = inferTableFromChain(chain)
  if (byChain || target === undefined) return byChain
  if (NAT_TARGETS.has(target) || hasNatPrefix(target)) return 'nat'
  if (FILTER_TARGETS.has(target)) return 'filter'
  return undefined
}

/**
 * Chain and target names of an `-A CHAIN ... -j TARGET` line without a full parse (used to vote
 * on the table of `iptables -S` output before parsing it).
 */
export function peekChainAndTarget(line: string): {chain: string; target?: string} | undefined {
  const start = line.indexOf(' ')
  if (start < 0) return undefined
  const end = line.indexOf(' ', start + 1)
  const chain = line.slice(start + 1, end < 0 ? line.length : end)
  let at = line.lastIndexOf(' -j ')
  if (at < 0) at = line.lastIndexOf(' -g ')
  if (at < 0) return {chain}
  const nameEnd = line.indexOf(' ', at + 4)
  return {chain, target: line.slice(at + 4, nameEnd < 0 ? line.length : nameEnd)}
}
