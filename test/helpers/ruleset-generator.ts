/**
 * A small seeded generator of kube-proxy-shaped iptables rulesets (the layout of kube-proxy
 * 1.28+, copied rule for rule from the corpus in ../shared/corpus and pkg/proxy/iptables/proxier.go),
 * with the probe packets worth sending at them. Used by the kernel conformance tests, so that
 * the tracer is refereed on layouts nobody hand-picked: several services, 1-5 endpoints,
 * NodePorts, external IPs, load balancers with source ranges, externalTrafficPolicy Local
 * (with and without local endpoints), session affinity, services without endpoints, tcp/udp.
 */
import {endpointChainName, serviceChainName, servicePortName} from '../../src/lib/kube-proxy/names.js'
import {emitRuleset} from './ruleset-emit.js'

export const CLUSTER_CIDR = '10.0.0.0/8'

export interface GeneratedEndpoint {
  ip: string
  port: number
  /** On this node (matters for externalTrafficPolicy Local). */
  local: boolean
  chain: string
}

export interface GeneratedService {
  /** kube-proxy's `ns/name:port` key. */
  key: string
  proto: 'tcp' | 'udp'
  clusterIp: string
  port: number
  nodePort?: number
  healthCheckNodePort?: number
  externalIps: string[]
  loadBalancerIps: string[]
  /** loadBalancerSourceRanges; empty = open. */
  sourceRanges: string[]
  externalLocal: boolean
  affinity: boolean
  endpoints: GeneratedEndpoint[]
  svcChain: string
  svlChain: string
  extChain: string
  fwChain: string
}

export interface ProbeTarget {
  name: string
  from: 'node' | 'client'
  src: string
  dst: string
  port: number
  proto: 'tcp' | 'udp'
}

export interface GeneratedRuleset {
  seed: number
  nodeIps: string[]
  services: GeneratedService[]
  /** iptables-restore input (nat and filter tables). */
  text: string
  targets: ProbeTarget[]
}

/** mulberry32: tiny, fast, and the same sequence on every machine for a given seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const NODE_IP = '192.168.0.2'
const POD_CLIENT = '10.0.0.2'
const OUTSIDE_CLIENT = '203.0.113.2'
const BLOCKED_CLIENT = '198.51.100.7'

function makeService(i: number, rand: () => number): GeneratedService {
  const pick = (p: number) => rand() < p
  const proto = pick(0.25) ? 'udp' : 'tcp'
  const key = servicePortName(`ns${i}`, `svc${i}`, 'p80')
  const endpointCount = pick(0.15) ? 0 : 1 + Math.floor(rand() * 5)
  const endpoints = Array.from({length: endpointCount}, (_, e) => {
    const ip = `10.180.${i}.${e + 1}`
    return {ip, port: 8080, local: pick(0.5), chain: endpointChainName(key, proto, `${ip}:8080`)}
  })
  const hasNodePort = pick(0.6)
  const externalLocal = hasNodePort && pick(0.4)
  const hasLb = pick(0.3)
  return {
    key,
    proto,
    clusterIp: `172.30.${i}.${10 + i}`,
    port: 80,
    nodePort: hasNodePort ? 30_000 + i : undefined,
    healthCheckNodePort: externalLocal ? 32_000 + i : undefined,
    externalIps: pick(0.3) ? [`192.168.99.${20 + i}`] : [],
    loadBalancerIps: hasLb ? [`5.6.${i}.8`] : [],
    sourceRanges: hasLb && pick(0.5) ? ['203.0.113.0/25'] : [],
    externalLocal,
    affinity: endpointCount > 1 && pick(0.25),
    endpoints,
    svcChain: serviceChainName('KUBE-SVC-', key, proto),
    svlChain: serviceChainName('KUBE-SVL-', key, proto),
    extChain: serviceChainName('KUBE-EXT-', key, proto),
    fwChain: serviceChainName('KUBE-FW-', key, proto),
  }
}

function probesFor(svc: GeneratedService): ProbeTarget[] {
  const probe = (name: string, from: 'node' | 'client', src: string, dst: string, port: number): ProbeTarget => ({
    name: `${svc.key} ${name}`,
    from,
    src,
    dst,
    port,
    proto: svc.proto,
  })
  const out = [
    probe('pod → cluster IP', 'client', POD_CLIENT, svc.clusterIp, svc.port),
    probe('node → cluster IP', 'node', NODE_IP, svc.clusterIp, svc.port),
    probe('outside → cluster IP', 'client', OUTSIDE_CLIENT, svc.clusterIp, svc.port),
  ]
  if (svc.nodePort) {
    out.push(probe('outside → NodePort', 'client', OUTSIDE_CLIENT, NODE_IP, svc.nodePort))
    out.push(probe('node → NodePort', 'node', NODE_IP, NODE_IP, svc.nodePort))
  }
  if (svc.healthCheckNodePort) {
    // Health checks are served over TCP whatever the Service's protocol.
    out.push({...probe('outside → health check', 'client', OUTSIDE_CLIENT, NODE_IP, svc.healthCheckNodePort), proto: 'tcp'})
  }
  for (const ip of svc.externalIps) out.push(probe('outside → external IP', 'client', OUTSIDE_CLIENT, ip, svc.port))
  for (const ip of svc.loadBalancerIps) {
    out.push(probe('allowed → LB', 'client', OUTSIDE_CLIENT, ip, svc.port))
    if (svc.sourceRanges.length > 0) out.push(probe('blocked → LB', 'client', BLOCKED_CLIENT, ip, svc.port))
  }
  return out
}

/** A ruleset of `services` services (default 6) from `seed`; the same seed gives the same text. */
export function generateRuleset(seed: number, services = 6): GeneratedRuleset {
  const rand = seededRandom(seed)
  const list = Array.from({length: services}, (_, i) => makeService(i + 1, rand))
  return {
    seed,
    nodeIps: [NODE_IP, '192.168.1.2'],
    services: list,
    text: emitRuleset(list, CLUSTER_CIDR),
    targets: list.flatMap((svc) => probesFor(svc)),
  }
}
