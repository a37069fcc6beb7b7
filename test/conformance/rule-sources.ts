/**
 * The rulesets the conformance suites feed the kernel: kube-proxy's corpus, the shipped
 * examples, and seeded generated rulesets.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export {CORPUS_DIR} from '../helpers/corpus.js'
import {CORPUS_DIR} from '../helpers/corpus.js'
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url))

export interface CorpusCase {
  name: string
  sourceIP: string
  protocol: string
  destIP: string
  destPort: number
  expectedOutput: string
  expectedMasq: boolean
}

export interface RulesFile {
  name: string
  text: string
  family: 4 | 6
  nodeIps: string[]
  cases: CorpusCase[]
}

/** IPv6 dumps carry /128 host routes or bracketed DNAT targets; IPv4 ones never do. */
export function familyOf(text: string): 4 | 6 {
  return /\/128\b|--to-destination \[|\s-[sd] [0-9a-f]*:[0-9a-f:]*\//i.test(text) ? 6 : 4
}

export function corpusFiles(): RulesFile[] {
  if (!existsSync(CORPUS_DIR)) return []
  return readdirSync(CORPUS_DIR)
    .filter((file) => file.endsWith('.rules'))
    .sort()
    .map((file) => {
      const name = file.replace(/\.rules$/, '')
      const text = readFileSync(join(CORPUS_DIR, file), 'utf8')
      const casesPath = join(CORPUS_DIR, `${name}.cases.json`)
      const meta = existsSync(casesPath) ? (JSON.parse(readFileSync(casesPath, 'utf8')) as {nodeIPs: string[]; cases: CorpusCase[]}) : {nodeIPs: [], cases: []}
      return {name, text, family: familyOf(text), nodeIps: meta.nodeIPs, cases: meta.cases}
    })
}

/** examples/<name>/nodes/<node>/{iptables,ip6tables}-save.txt with the node's addresses.txt. */
export function exampleFiles(): RulesFile[] {
  if (!existsSync(EXAMPLES_DIR)) return []
  const out: RulesFile[] = []
  for (const example of readdirSync(EXAMPLES_DIR).sort()) {
    const nodesDir = join(EXAMPLES_DIR, example, 'nodes')
    if (!existsSync(nodesDir)) continue
    for (const node of readdirSync(nodesDir).sort()) {
      for (const [file, family] of [['iptables-save.txt', 4], ['ip6tables-save.txt', 6]] as const) {
        const path = join(nodesDir, node, file)
        if (!existsSync(path)) continue
        const addressesPath = join(nodesDir, node, 'addresses.txt')
        const nodeIps = existsSync(addressesPath) ? parseIpAddrShow(readFileSync(addressesPath, 'utf8')) : []
        out.push({name: `${example}/${node}/${file}`, text: readFileSync(path, 'utf8'), family, nodeIps, cases: []})
      }
    }
  }
  return out
}

/** Addresses from `ip -o addr show` lines (`2: eth0    inet 192.168.64.35/24 brd ...`), loopback excluded. */
export function parseIpAddrShow(text: string): string[] {
  const ips: string[] = []
  for (const match of text.matchAll(/\binet6? ([0-9a-fA-F.:]+)\/\d+/g)) {
    if (!/^(127\.|::1$)/.test(match[1])) ips.push(match[1])
  }
  return ips
}
