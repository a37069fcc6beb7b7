/** Deterministic generated inputs for the lazy cluster.json tests. */

export type Random = () => number

/** A small deterministic generator (mulberry32), so a failure reproduces. */
export function seeded(seed: number): Random {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * A cluster.json List with the cases lookups must get right: pods sharing an IP (hostNetwork,
 * finished), IPv6 written two ways, a repeated Service, FQDN slices, kinds kpx ignores, escaped
 * and non-ASCII text, items without a namespace.
 */
export function generatedCluster(services: number, random: Random = seeded(1)): {kind: 'List'; items: object[]} {
  const items: object[] = [{kind: 'Deployment', metadata: {name: 'ignored'}}]
  for (let n = 0; n < 3; n++) {
    items.push({kind: 'Node', metadata: {name: `node-${n}`, labels: {'topology.kubernetes.io/zone': `z${n % 2}`}}, status: {addresses: [{type: 'InternalIP', address: `192.168.0.${n + 1}`}, {type: 'InternalIP', address: `fd00::${n + 1}`}]}})
  }
  for (let s = 0; s < services; s++) {
    const ns = s % 7 === 0 ? undefined : `ns${s % 3}`
    const name = s % 11 === 0 ? `svc-é${s}` : `svc-${s}`
    items.push({apiVersion: 'v1', kind: 'Service', metadata: {name, ...(ns ? {namespace: ns} : {})}, spec: {clusterIP: `10.96.${s >> 8}.${s & 255}`, ports: [{name: 'http', port: 80, protocol: 'TCP'}]}})
    if (s % 13 === 0) items.push({kind: 'Service', metadata: {name, ...(ns ? {namespace: ns} : {})}, spec: {clusterIP: '10.96.255.255', ports: []}})
    const endpoints = Array.from({length: 1 + Math.floor(random() * 4)}, (_, e) => ({addresses: [`10.${s >> 8}.${s & 255}.${e}`], conditions: {ready: random() < 0.8}, nodeName: `node-${e % 3}`}))
    items.push({kind: 'EndpointSlice', addressType: s % 17 === 0 ? 'FQDN' : 'IPv4', metadata: {name: `${name}-abc`, ...(ns ? {namespace: ns} : {}), labels: {'kubernetes.io/service-name': name}}, endpoints, ports: [{name: 'http', port: 8080}]})
    for (const [e, endpoint] of endpoints.entries()) {
      const phase = random() < 0.1 ? 'Succeeded' : 'Running'
      items.push({kind: 'Pod', metadata: {name: `${name}-pod-${e}`, ...(ns ? {namespace: ns} : {})}, spec: {nodeName: `node-${e % 3}`, hostNetwork: random() < 0.05}, status: {phase, podIP: endpoint.addresses[0], podIPs: [{ip: endpoint.addresses[0]}]}})
    }
  }
  // An IP held by three pods: the running pod-network one must win, whatever the file order.
  items.push({kind: 'Pod', metadata: {name: 'old', namespace: 'ns1'}, status: {phase: 'Failed', podIP: '10.0.1.0'}})
  items.push({kind: 'Pod', metadata: {name: 'hostnet', namespace: 'ns1'}, spec: {hostNetwork: true}, status: {podIP: '10.0.1.0'}})
  items.push({kind: 'Pod', metadata: {name: 'v6', namespace: 'ns1'}, status: {podIPs: [{ip: 'FD00:0:0::0A'}, {ip: '10.99.0.1'}]}})
  items.push({kind: 'ConfigMap', metadata: {name: 'kube-proxy', namespace: 'kube-system'}, data: {'config.conf': 'mode: iptables\n'}})
  return {kind: 'List', items}
}
