/**
 * Which service port owns each per-service chain. Three sources, in order of trust:
 * 1. rule comments (on rules inside the chain, or on rules jumping to it);
 * 2. the shared hash: KUBE-SVC-/SVL-/EXT-/FW-/XLB-<h> of one service port share `h`, so one
 *    named chain names its siblings, and SEP chains inherit from the chain that jumps to them;
 * 3. kube-proxy's hash computed for the cluster's Services (comment-less rules above 1000 endpoints);
 *    SEP chains then inherit from their (now named) service chain. Orphan SEPs stay unnamed: naming
 *    them would mean hashing every endpoint of every Service.
 * One pass over the rules, plus one hash per candidate port name when comments are missing.
 */
import type {Chain, IptablesDump, Rule} from '../parse/types.js'
import type {Service} from '../snapshot/types.js'
import {type CommentRef, parseServiceComment} from './comments.js'
import {classifyChain, portProtoHash} from './names.js'

export interface Owner {
  namespace: string
  name: string
  portName: string
  /** Lower-case protocol when known from the hash; '' otherwise. */
  protocol: string
  /** How the name was found. */
  source: 'comment' | 'hash' | 'chain'
}

const GROUP_KINDS = new Set(['svc', 'svl', 'ext', 'fw', 'xlb'])

/** The hash part of a per-service chain name: shared by SVC/SVL/EXT/FW/XLB of one port. */
export function chainHash(chain: string): string {
  return chain.slice(chain.indexOf('-', 5) + 1)
}

export function isServiceGroupChain(chain: string): boolean {
  return GROUP_KINDS.has(classifyChain(chain))
}

export function jumpTarget(rule: Rule): string | null {
  return rule.target && rule.target.typed?.kind !== 'verdict' && /^(KUBE|CNI)-/.test(rule.target.name) ? rule.target.name : null
}

function fromComment(ref: CommentRef): Owner {
  return {namespace: ref.namespace, name: ref.name, portName: ref.portName, protocol: '', source: 'comment'}
}

export class Ownership {
  /** Service-port hash → owner (for SVC/SVL/EXT/FW/XLB). */
  readonly byHash = new Map<string, Owner>()
  /** KUBE-SEP chain → owner. */
  readonly bySep = new Map<string, Owner>()

  owner(chain: string): Owner | undefined {
    return classifyChain(chain) === 'sep' ? this.bySep.get(chain) : this.byHash.get(chainHash(chain))
  }

  private claim(chain: string, owner: Owner): void {
    const kind = classifyChain(chain)
    if (kind === 'sep') {
      if (!this.bySep.has(chain)) this.bySep.set(chain, owner)
    } else if (GROUP_KINDS.has(kind) && !this.byHash.has(chainHash(chain))) {
      this.byHash.set(chainHash(chain), owner)
    }
  }

  /** Pass 1: comments on rules in, or jumping to, per-service chains. */
  readComments(chains: Chain[]): void {
    for (const chain of chains) {
      for (const rule of chain.rules) {
        const ref = parseServiceComment(rule.comment)
        if (!ref) continue
        const owner = fromComment(ref)
        this.claim(chain.name, owner)
        const target = jumpTarget(rule)
        if (target) this.claim(target, owner)
      }
    }
  }

  /** Pass 2: SEP chains inherit the owner of the service chain that jumps to them. */
  inheritEndpoints(chains: Chain[]): void {
    for (const chain of chains) {
      if (!isServiceGroupChain(chain.name)) continue
      const owner = this.owner(chain.name)
      if (!owner) continue
      for (const rule of chain.rules) {
        const target = jumpTarget(rule)
        if (target && classifyChain(target) === 'sep') this.claim(target, owner)
      }
    }
  }

  /** Pass 3: compute kube-proxy's hashes for known Services, for chains still unnamed. */
  readHashes(chains: Chain[], services: Service[]): void {
    const unnamed = chains.filter((c) => (isServiceGroupChain(c.name) || classifyChain(c.name) === 'sep') && !this.owner(c.name))
    if (unnamed.length === 0) return
    const wanted = new Set(unnamed.map((c) => chainHash(c.name)))
    for (const svc of services) {
      for (const port of svc.spec.ports ?? []) {
        const protocol = (port.protocol ?? 'TCP').toLowerCase()
        // kube-proxy wrote `ns/name` for unnamed ports; some older versions `ns/name:`.
        const written = port.name ? [`${svc.metadata.namespace}/${svc.metadata.name}:${port.name}`] : [`${svc.metadata.namespace}/${svc.metadata.name}`, `${svc.metadata.namespace}/${svc.metadata.name}:`]
        const owner: Owner = {namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, portName: port.name ?? '', protocol, source: 'hash'}
        for (const spn of written) {
          const hash = portProtoHash(spn, protocol)
          if (wanted.has(hash) && !this.byHash.has(hash)) this.byHash.set(hash, owner)
        }
      }
    }
  }
}

/** Reads the owners of every per-service chain of a dump. */
export function resolveOwnership(dump: IptablesDump, services: Service[] | undefined): Ownership {
  const ownership = new Ownership()
  const chains = dump.tables.filter((t) => t.name === 'nat' || t.name === 'filter').flatMap((t) => t.chains)
  ownership.readComments(chains)
  ownership.inheritEndpoints(chains)
  if (services?.length) {
    ownership.readHashes(chains, services)
    ownership.inheritEndpoints(chains)
  }
  return ownership
}
