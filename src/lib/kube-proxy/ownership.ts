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
import {targetNameOf} from '../parse/lazy-rule.js'
import type {Chain, IptablesDump, Rule} from '../parse/types.js'
import type {Service} from '../snapshot/types.js'
import {type CommentRef, parseServiceComment} from './comments.js'
import {type ChainKind, classifyChain, portProtoHash} from './names.js'

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

/**
 * classifyChain with a fast path for per-service chains: a few character tests instead of a
 * lookup in a memo of 10^5 names (the model asks about every rule's chain and target, and that
 * lookup was its largest cost). Same answers: no fixed or builtin name has these prefixes.
 */
export function chainKind(name: string): ChainKind {
  if (name.length > 8 && name.charCodeAt(4) === 45 && name.startsWith('KUBE-')) {
    const c = name.charCodeAt(5)
    if (c === 83 /* S */) {
      if (name.startsWith('SVC-', 5)) return 'svc'
      if (name.startsWith('SEP-', 5)) return 'sep'
      if (name.startsWith('SVL-', 5)) return 'svl'
    } else if (c === 69 /* E */ && name.startsWith('EXT-', 5)) return 'ext'
    else if (c === 70 /* F */ && name.startsWith('FW-', 5)) return 'fw'
    else if (c === 88 /* X */ && name.startsWith('XLB-', 5)) return 'xlb'
  }
  return classifyChain(name)
}

/** The hash part of a per-service chain name: shared by SVC/SVL/EXT/FW/XLB of one port. */
export function chainHash(chain: string): string {
  return chain.slice(chain.indexOf('-', 5) + 1)
}

export function isServiceGroupChain(chain: string): boolean {
  return GROUP_KINDS.has(chainKind(chain))
}

const VERDICTS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE'])

/** The KUBE-/CNI- chain a rule jumps to; read from the name alone, so a lazy rule stays undecoded. */
export function jumpTarget(rule: Rule): string | null {
  const name = targetNameOf(rule)
  return name !== undefined && !VERDICTS.has(name) && (name.startsWith('KUBE-') || name.startsWith('CNI-')) ? name : null
}

function fromComment(ref: CommentRef): Owner {
  return {namespace: ref.namespace, name: ref.name, portName: ref.portName, protocol: '', source: 'comment'}
}

/**
 * Owners named by comments. A service chain's rules all start with the same `ns/svc:port`
 * (`"ns/svc:port -> 10.0.0.1:80"`): when a comment starts with the last one's service port
 * word, that word is what the pattern would find first, so the owner is reused without it.
 */
class CommentOwners {
  private lastWritten = ''
  private lastOwner: Owner | undefined

  ownerOf(comment: string | undefined): Owner | undefined {
    if (!comment) return undefined
    const n = this.lastWritten.length
    if (this.lastOwner && comment.startsWith(this.lastWritten) && (comment.length === n || comment.charCodeAt(n) === 32)) return this.lastOwner
    const ref = parseServiceComment(comment)
    if (!ref) return undefined
    this.lastWritten = ref.written
    this.lastOwner = fromComment(ref)
    return this.lastOwner
  }
}

export class Ownership {
  /** Service-port hash → owner (for SVC/SVL/EXT/FW/XLB). */
  readonly byHash = new Map<string, Owner>()
  /** KUBE-SEP chain → owner. */
  readonly bySep = new Map<string, Owner>()

  owner(chain: string): Owner | undefined {
    return chainKind(chain) === 'sep' ? this.bySep.get(chain) : this.byHash.get(chainHash(chain))
  }

  private claim(chain: string, owner: Owner): void {
    const kind = chainKind(chain)
    if (kind === 'sep') {
      if (!this.bySep.has(chain)) this.bySep.set(chain, owner)
    } else if (GROUP_KINDS.has(kind) && !this.byHash.has(chainHash(chain))) {
      this.byHash.set(chainHash(chain), owner)
    }
  }

  /** Whether `chain` is a per-service chain nobody owns yet. */
  private claimable(chain: string, kind: string): boolean {
    return kind === 'sep' ? !this.bySep.has(chain) : GROUP_KINDS.has(kind) && !this.byHash.has(chainHash(chain))
  }

  /**
   * Pass 1: comments on rules in, or jumping to, per-service chains. The first claim wins, so a
   * rule is read only while its chain or its target is still unowned: a KUBE-SEP chain's
   * second rule, and most rules of a large dump, are skipped without parsing their comment.
   */
  readComments(chains: Chain[]): void {
    const comments = new CommentOwners()
    for (const chain of chains) {
      let chainOpen = this.claimable(chain.name, chainKind(chain.name))
      for (const rule of chain.rules) {
        const target = jumpTarget(rule)
        const targetOpen = target !== null && this.claimable(target, chainKind(target))
        if (!chainOpen && !targetOpen) continue
        const owner = comments.ownerOf(rule.comment)
        if (!owner) continue
        if (chainOpen) this.claim(chain.name, owner)
        chainOpen = false
        if (targetOpen) this.claim(target, owner)
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
        if (target && chainKind(target) === 'sep') this.claim(target, owner)
      }
    }
  }

  /** Pass 3: compute kube-proxy's hashes for known Services, for chains still unnamed. Returns whether any got a name. */
  readHashes(chains: Chain[], allServices: () => Service[] | undefined): boolean {
    const unnamed = chains.filter((c) => (isServiceGroupChain(c.name) || chainKind(c.name) === 'sep') && !this.owner(c.name))
    if (unnamed.length === 0) return false
    const services = allServices() ?? []
    let named = false
    const wanted = new Set(unnamed.map((c) => chainHash(c.name)))
    for (const svc of services) {
      for (const port of svc.spec.ports ?? []) {
        const protocol = (port.protocol ?? 'TCP').toLowerCase()
        // kube-proxy wrote `ns/name` for unnamed ports; some older versions `ns/name:`.
        const written = port.name ? [`${svc.metadata.namespace}/${svc.metadata.name}:${port.name}`] : [`${svc.metadata.namespace}/${svc.metadata.name}`, `${svc.metadata.namespace}/${svc.metadata.name}:`]
        const owner: Owner = {namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, portName: port.name ?? '', protocol, source: 'hash'}
        for (const spn of written) {
          const hash = portProtoHash(spn, protocol)
          if (wanted.has(hash) && !this.byHash.has(hash)) {
            this.byHash.set(hash, owner)
            named = true
          }
        }
      }
    }
    return named
  }
}

/** Reads the owners of every per-service chain of a dump. */
export function resolveOwnership(dump: IptablesDump, services: () => Service[] | undefined): Ownership {
  const ownership = new Ownership()
  const chains = dump.tables.filter((t) => t.name === 'nat' || t.name === 'filter').flatMap((t) => t.chains)
  ownership.readComments(chains)
  ownership.inheritEndpoints(chains)
  // A second pass only when hashes named new service chains (their SEPs inherit the name).
  if (ownership.readHashes(chains, services)) ownership.inheritEndpoints(chains)
  return ownership
}
