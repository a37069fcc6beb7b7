/**
 * A benchmark snapshot directory for the 10k-service dump: nodes/node-1/iptables-save.txt,
 * addresses.txt, and a cluster.json whose Services and EndpointSlices match the rules (derived
 * from the rules' comments, so `kpx check` has a full, healthy cluster to compare with).
 */
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {generateKubeProxyDump} from './generate-dump.js'

export const NODE_IP = '192.168.0.2'

export function ensureSnapshot(outDir, services) {
  const dir = join(outDir, `snapshot-${services}`)
  const rulesFile = join(dir, 'nodes', 'node-1', 'iptables-save.txt')
  if (existsSync(rulesFile)) return dir
  mkdirSync(join(dir, 'nodes', 'node-1'), {recursive: true})
  const text = generateKubeProxyDump({services, endpointsPerService: 10, seed: 1})
  writeFileSync(rulesFile, text)
  writeFileSync(join(dir, 'nodes', 'node-1', 'addresses.txt'), `${NODE_IP}\n`)
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(clusterFromRules(text)))
  return dir
}

/** One Service and one EndpointSlice per `ns/name:port cluster IP` rule and its `-> ip:port` rules. */
function clusterFromRules(text) {
  const services = new Map()
  const clusterIp = /^-A KUBE-SERVICES -d (\S+)\/32 -p tcp -m comment --comment "([^/]+)\/([^:]+):(\S+) cluster IP" -m tcp --dport (\d+)/
  const nodePort = /^-A KUBE-NODEPORTS -p tcp -m comment --comment "([^/]+)\/([^:]+):\S+" -m tcp --dport (\d+)/
  const endpoint = /^-A KUBE-SVC-\S+ -m comment --comment "([^/]+)\/([^:]+):\S+ -> ([\d.]+):(\d+)"/
  // Services without endpoints appear only as filter-table REJECT rules.
  const rejected = /^-A KUBE-SERVICES -d (\S+)\/32 -p tcp -m comment --comment "([^/]+)\/([^:]+):(\S+) has no endpoints" -m tcp --dport (\d+)/
  const get = (ns, name) => {
    const key = `${ns}/${name}`
    if (!services.has(key)) services.set(key, {ns, name, ip: '', port: 0, portName: '', nodePort: undefined, endpoints: []})
    return services.get(key)
  }
  for (const line of text.split('\n')) {
    let m
    if ((m = clusterIp.exec(line))) Object.assign(get(m[2], m[3]), {ip: m[1], portName: m[4], port: Number(m[5])})
    else if ((m = nodePort.exec(line))) get(m[1], m[2]).nodePort = Number(m[3])
    else if ((m = endpoint.exec(line))) get(m[1], m[2]).endpoints.push({ip: m[3], port: Number(m[4])})
    else if ((m = rejected.exec(line))) Object.assign(get(m[2], m[3]), {ip: m[1], portName: m[4], port: Number(m[5])})
  }
  const items = []
  for (const s of services.values()) {
    items.push({
      apiVersion: 'v1', kind: 'Service', metadata: {name: s.name, namespace: s.ns},
      spec: {type: s.nodePort ? 'NodePort' : 'ClusterIP', clusterIP: s.ip, clusterIPs: [s.ip], ports: [{name: s.portName, protocol: 'TCP', port: s.port, targetPort: 8080, ...(s.nodePort ? {nodePort: s.nodePort} : {})}]},
    })
    items.push({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
      metadata: {name: `${s.name}-abcde`, namespace: s.ns, labels: {'kubernetes.io/service-name': s.name}},
      ports: [{name: s.portName, protocol: 'TCP', port: 8080}],
      endpoints: s.endpoints.map((e) => ({addresses: [e.ip], conditions: {ready: true, serving: true, terminating: false}, nodeName: 'node-1'})),
    })
  }
  items.push({apiVersion: 'v1', kind: 'Node', metadata: {name: 'node-1'}, status: {addresses: [{type: 'InternalIP', address: NODE_IP}]}})
  return {apiVersion: 'v1', kind: 'List', items}
}
