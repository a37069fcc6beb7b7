/**
 * The shipped examples, as data. Each example names its layout, the cluster kube-proxy saw when it
 * wrote the rules (`rules`), and the cluster the API returns now (`api`, defaults to `rules`).
 */
import type {ClusterSpec, ServiceSpec} from './model.js'

export interface ExampleSpec {
  name: string
  layout: 'legacy' | '1.20' | 'modern'
  rules: ClusterSpec
  api?: ClusterSpec
  /** Rules a user inserted by hand, [table, rule], placed first in their chain. */
  prepend?: [string, string][]
  /** Hand edits applied to one node's restore input after generation (the `stale` faults). */
  tweak?: (node: string, restoreInput: string) => string
  /** Also save `iptables -t nat -L -n` of the first node as listing.txt. */
  listing?: boolean
}

const kubeDns = (clusterIP: string, pods: [string, string, string][]): ServiceSpec => ({
  namespace: 'kube-system',
  name: 'kube-dns',
  type: 'ClusterIP',
  clusterIP,
  selector: {'k8s-app': 'kube-dns'},
  ports: [
    {name: 'dns', port: 53, targetPort: 53, protocol: 'UDP'},
    {name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP'},
    {name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP'},
  ],
  endpoints: pods.map(([pod, ip, node]) => ({pod, ip, node})),
})

const apiserver = (clusterIP: string, ip: string, node: string, affinitySeconds?: number): ServiceSpec => ({
  namespace: 'default',
  name: 'kubernetes',
  type: 'ClusterIP',
  clusterIP,
  ports: [{name: 'https', port: 443, targetPort: 6443, protocol: 'TCP'}],
  endpoints: [{ip, node}],
  ...(affinitySeconds ? {affinitySeconds} : {}),
})

const ghost: ExampleSpec = {
  name: 'ghost',
  layout: '1.20',
  rules: {
    kubeVersion: 'v1.20.0',
    clusterCIDR: '10.32.0.0/12',
    nodes: [
      {name: 'k8s-1', ip: '192.168.64.35', controlPlane: true, extraAddresses: [{iface: 'weave', cidr: '10.32.0.1/12'}]},
      {name: 'k8s-2', ip: '192.168.64.36', extraAddresses: [{iface: 'weave', cidr: '10.44.0.0/12'}]},
    ],
    services: [
      apiserver('10.96.0.1', '192.168.64.35', 'k8s-1'),
      kubeDns('10.96.0.10', [['coredns-74ff55c5b-8xq2v', '10.32.0.2', 'k8s-1'], ['coredns-74ff55c5b-l6m4t', '10.32.0.3', 'k8s-1']]),
      {
        namespace: 'default',
        name: 'ghost',
        type: 'NodePort',
        clusterIP: '10.98.141.188',
        selector: {app: 'ghost'},
        ports: [{port: 80, targetPort: 2368, nodePort: 30966, protocol: 'TCP'}],
        endpoints: [
          {pod: 'ghost-7d5b9c6f8d-4kqzx', ip: '10.44.0.3', node: 'k8s-2'},
          {pod: 'ghost-7d5b9c6f8d-wn7tj', ip: '10.44.0.4', node: 'k8s-2'},
        ],
      },
    ],
  },
}

const nginx: ExampleSpec = {
  name: 'nginx',
  layout: 'legacy',
  listing: true,
  prepend: [
    ['nat', '-A PREROUTING -j LOG --log-prefix "** NAT PREROUTING **"'],
    ['nat', '-A OUTPUT -j LOG --log-prefix "** NAT OUTPUT **"'],
  ],
  rules: {
    kubeVersion: 'v1.9.11',
    nodes: [{name: 'hjdevelop', ip: '192.168.0.11', extraAddresses: [{iface: 'docker0', cidr: '172.17.0.1/16'}]}],
    services: [
      apiserver('10.254.0.1', '192.168.0.11', 'hjdevelop', 10800),
      {
        namespace: 'default',
        name: 'nginx-service-nodeport',
        type: 'NodePort',
        clusterIP: '10.254.198.92',
        selector: {app: 'nginx'},
        ports: [{port: 80, targetPort: 80, nodePort: 32110, protocol: 'TCP'}],
        endpoints: [
          {pod: 'nginx-deployment-6c54bd5869-2xwbt', ip: '172.17.0.2', node: 'hjdevelop'},
          {pod: 'nginx-deployment-6c54bd5869-fg8kd', ip: '172.17.0.3', node: 'hjdevelop'},
          {pod: 'nginx-deployment-6c54bd5869-w5r9n', ip: '172.17.0.4', node: 'hjdevelop'},
        ],
      },
    ],
  },
}

const modernNodes = [
  {name: 'node-a', ip: '10.0.1.11', podCIDR: '10.244.0.0/24', controlPlane: true, extraAddresses: [{iface: 'cni0', cidr: '10.244.0.1/24'}]},
  {name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24', extraAddresses: [{iface: 'cni0', cidr: '10.244.1.1/24'}]},
  {name: 'node-c', ip: '10.0.1.13', podCIDR: '10.244.2.0/24', extraAddresses: [{iface: 'cni0', cidr: '10.244.2.1/24'}]},
]

const modern: ExampleSpec = {
  name: 'modern',
  layout: 'modern',
  rules: {
    kubeVersion: 'v1.31.4',
    clusterCIDR: '10.244.0.0/16',
    nodes: modernNodes,
    services: [
      apiserver('10.96.0.1', '10.0.1.11', 'node-a'),
      kubeDns('10.96.0.10', [['coredns-7c65d6cfc9-4xk8p', '10.244.0.2', 'node-a'], ['coredns-7c65d6cfc9-v2mzq', '10.244.1.2', 'node-b']]),
      {
        namespace: 'shop',
        name: 'storefront',
        type: 'LoadBalancer',
        clusterIP: '10.96.120.15',
        selector: {app: 'storefront'},
        ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP'}],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        loadBalancerIPs: ['203.0.113.10'],
        loadBalancerSourceRanges: ['198.51.100.0/24', '192.0.2.0/24'],
        endpoints: [
          {pod: 'storefront-6d8f7b9c4-2hxkq', ip: '10.244.0.10', node: 'node-a'},
          {pod: 'storefront-6d8f7b9c4-9tzlm', ip: '10.244.0.11', node: 'node-a'},
          {pod: 'storefront-6d8f7b9c4-rb5wn', ip: '10.244.1.10', node: 'node-b'},
        ],
      },
      {
        namespace: 'shop',
        name: 'cart',
        type: 'ClusterIP',
        clusterIP: '10.96.45.200',
        selector: {app: 'cart'},
        ports: [{name: 'http', port: 80, targetPort: 8080, protocol: 'TCP'}],
        affinitySeconds: 10800,
        endpoints: [
          {pod: 'cart-5c9d8f6b7-kq2xp', ip: '10.244.1.20', node: 'node-b'},
          {pod: 'cart-5c9d8f6b7-zz8wd', ip: '10.244.2.20', node: 'node-c'},
        ],
      },
      {
        namespace: 'shop',
        name: 'legacy-api',
        type: 'NodePort',
        clusterIP: '10.96.77.7',
        selector: {app: 'legacy-api'},
        ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30090, protocol: 'TCP'}],
        endpoints: [],
      },
      {
        namespace: 'monitoring',
        name: 'node-agent',
        type: 'ClusterIP',
        clusterIP: '10.96.9.100',
        selector: {app: 'node-agent'},
        ports: [{name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP'}],
        internalTrafficPolicy: 'Local',
        endpoints: [
          {pod: 'node-agent-8kx2q', ip: '10.244.0.30', node: 'node-a'},
          {pod: 'node-agent-p7v4m', ip: '10.244.1.30', node: 'node-b'},
        ],
      },
    ],
  },
}

const staleNodes = [
  {name: 'stale-1', ip: '10.0.2.11', podCIDR: '10.244.0.0/24', controlPlane: true, extraAddresses: [{iface: 'cni0', cidr: '10.244.0.1/24'}]},
  {name: 'stale-2', ip: '10.0.2.12', podCIDR: '10.244.1.0/24', extraAddresses: [{iface: 'cni0', cidr: '10.244.1.1/24'}]},
]

const staleWeb: ServiceSpec = {
  namespace: 'default',
  name: 'web',
  type: 'NodePort',
  clusterIP: '10.96.20.20',
  selector: {app: 'web'},
  ports: [{name: 'http', port: 80, targetPort: 80, nodePort: 30800, protocol: 'TCP'}],
  endpoints: [
    {pod: 'web-7f6c5d4b8-hx2kt', ip: '10.244.0.8', node: 'stale-1'},
    {pod: 'web-7f6c5d4b8-m9q7z', ip: '10.244.1.8', node: 'stale-2'},
  ],
}

const staleApi = (endpoints: ServiceSpec['endpoints']): ServiceSpec => ({
  namespace: 'default',
  name: 'api',
  type: 'ClusterIP',
  clusterIP: '10.96.10.10',
  selector: {app: 'api'},
  ports: [{name: 'http', port: 80, targetPort: 8080, protocol: 'TCP'}],
  endpoints,
})

const apiA = {pod: 'api-5f7b9c8d6-4cz8k', ip: '10.244.0.5', node: 'stale-1'}
const apiB = {pod: 'api-5f7b9c8d6-bq6tn', ip: '10.244.1.5', node: 'stale-2'}
/** Deleted from the API; kube-proxy never removed its SEP. */
const apiDeleted = {pod: 'api-5f7b9c8d6-x2r9w', ip: '10.244.1.6', node: 'stale-2'}
/** Created and ready in the API; kube-proxy never added it. */
const apiNew = {pod: 'api-5f7b9c8d6-j7wpl', ip: '10.244.0.6', node: 'stale-1'}

const stale: ExampleSpec = {
  name: 'stale',
  layout: 'modern',
  rules: {
    kubeVersion: 'v1.31.4',
    clusterCIDR: '10.244.0.0/16',
    nodes: staleNodes,
    services: [apiserver('10.96.0.1', '10.0.2.11', 'stale-1'), staleApi([apiA, apiB, apiDeleted]), staleWeb],
  },
  api: {
    kubeVersion: 'v1.31.4',
    clusterCIDR: '10.244.0.0/16',
    nodes: staleNodes,
    services: [apiserver('10.96.0.1', '10.0.2.11', 'stale-1'), staleApi([apiA, apiB, apiNew]), staleWeb],
  },
  // On stale-1 someone "rebalanced" default/web by hand: 90% to the first endpoint instead of 50%.
  tweak: (node, text) =>
    node === 'stale-1' ? text.replace(/(-A KUBE-SVC-\S+ -m comment --comment "default\/web:http -> [^"]+" -m statistic --mode random --probability) 0\.5000000000/, '$1 0.9000000000') : text,
}

export const EXAMPLES: ExampleSpec[] = [ghost, nginx, modern, stale]
