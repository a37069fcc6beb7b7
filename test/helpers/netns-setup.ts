/**
 * The lab's plumbing (see netns.ts for the picture): sysctls, the ifb sink holding the node's
 * addresses and default routes, the veth pair with fixed MACs and permanent neighbours, and the
 * client's policy routing that sends everything it originates to the node.
 */
import {isIPv6} from 'node:net'

import {run, runAll} from './netns-exec.js'

export const NODE_LINK = {
  v4: '169.254.77.1', v4Peer: '169.254.77.2', v6: 'fd00:77::1', v6Peer: 'fd00:77::2',
  mac: '02:6b:70:78:00:01', peerMac: '02:6b:70:78:00:02',
}
// No duplicate address detection: tentative addresses would swallow the first burst.
const NO_DAD = ['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']

export interface PlumbOptions {
  nodeIps: string[]
  podCidrs?: string[]
}

export function hostPrefix(ip: string): string {
  return isIPv6(ip) ? `${ip}/128` : `${ip}/32`
}

export async function plumbNode(ns: string, clientNs: string, options: PlumbOptions): Promise<void> {
  await runAll([
    ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'],
    ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'],
    ['sysctl', '-qw', 'net.ipv4.conf.all.accept_local=1', 'net.ipv4.conf.default.accept_local=1'],
    ['sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.conf.default.route_localnet=1'],
    NO_DAD,
  ], {netns: ns})
  const node = ['ip', '-n', ns]
  await runAll([
    [...node, 'link', 'set', 'lo', 'up'],
    [...node, 'link', 'add', 'kpx0', 'type', 'ifb'],
    [...node, 'link', 'set', 'kpx0', 'up'],
    ...options.nodeIps.map((ip) => [...node, 'addr', 'add', hostPrefix(ip), 'dev', 'kpx0', ...(isIPv6(ip) ? ['nodad'] : [])]),
    [...node, 'route', 'add', 'default', 'dev', 'kpx0'],
    [...node, '-6', 'route', 'add', 'default', 'dev', 'kpx0'],
    ...(options.podCidrs ?? []).map((cidr) => [...node, 'route', 'add', cidr, 'dev', 'kpx0']),
    [...node, 'link', 'add', 'veth-c', 'address', NODE_LINK.mac, 'type', 'veth', 'peer', 'name', 'veth-n', 'address', NODE_LINK.peerMac, 'netns', clientNs],
    [...node, 'addr', 'add', `${NODE_LINK.v4}/30`, 'dev', 'veth-c'],
    [...node, '-6', 'addr', 'add', `${NODE_LINK.v6}/64`, 'dev', 'veth-c', 'nodad'],
    [...node, 'link', 'set', 'veth-c', 'up'],
  ])
  // NAT hooks only see packets conntrack tracks, and conntrack is only switched on in a
  // namespace once a ruleset needs it (a ct match or a NAT target). A ct expression in an
  // unhooked chain turns it on for good without touching any packet, so rulesets without
  // either (e.g. counting rules) still count; `inet` tables are invisible to iptables-save.
  await run(['nft', '-f', '-'], {netns: ns, input: 'table inet kpx_lab {\n  chain conntrack_on {\n    ct state new\n  }\n}\n'})
}

export async function plumbClient(nodeNs: string, clientNs: string): Promise<void> {
  const client = ['ip', '-n', clientNs]
  await run(NO_DAD, {netns: clientNs})
  const commands: string[][] = [[...client, 'link', 'set', 'lo', 'up']]
  // Permanent neighbours both ways: no ARP/NDP round trip may queue (and drop) the first burst.
  commands.push(
    [...client, 'neigh', 'add', NODE_LINK.v4, 'lladdr', NODE_LINK.mac, 'dev', 'veth-n', 'nud', 'permanent'],
    [...client, 'neigh', 'add', NODE_LINK.v6, 'lladdr', NODE_LINK.mac, 'dev', 'veth-n', 'nud', 'permanent'],
    ['ip', '-n', nodeNs, 'neigh', 'add', NODE_LINK.v4Peer, 'lladdr', NODE_LINK.peerMac, 'dev', 'veth-c', 'nud', 'permanent'],
    ['ip', '-n', nodeNs, 'neigh', 'add', NODE_LINK.v6Peer, 'lladdr', NODE_LINK.peerMac, 'dev', 'veth-c', 'nud', 'permanent'],
  )
  commands.push(
    [...client, 'addr', 'add', `${NODE_LINK.v4Peer}/30`, 'dev', 'veth-n'],
    [...client, '-6', 'addr', 'add', `${NODE_LINK.v6Peer}/64`, 'dev', 'veth-n', 'nodad'],
    [...client, 'link', 'set', 'veth-n', 'up'],
    [...client, 'route', 'add', 'table', '200', 'default', 'via', NODE_LINK.v4, 'dev', 'veth-n'],
    [...client, '-6', 'route', 'add', 'table', '200', 'default', 'via', NODE_LINK.v6, 'dev', 'veth-n'],
  )
  // Locally originated packets (iif lo) go to the node before the local table is consulted.
  for (const family of ['-4', '-6']) {
    commands.push(
      [...client, family, 'rule', 'add', 'pref', '100', 'lookup', 'local'],
      [...client, family, 'rule', 'del', 'pref', '0'],
      [...client, family, 'rule', 'add', 'pref', '50', 'iif', 'lo', 'lookup', '200'],
    )
  }
  await runAll(commands)
}
