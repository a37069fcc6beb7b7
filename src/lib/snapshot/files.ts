/** The files of a snapshot directory (README "Snapshot format"): what readSnapshot reads and writeSnapshot writes. */
export const SNAPSHOT_FILES = {
  cluster: 'cluster.json',
  nodes: 'nodes',
  iptables: 'iptables-save.txt',
  ip6tables: 'ip6tables-save.txt',
  addresses: 'addresses.txt',
  meta: 'meta.json',
} as const
