/**
 * A table's chains by name, kept without a hash map while it can be. iptables-save declares a
 * table's built-in chains first, then its user chains sorted by name (legacy and nft alike), so
 * a name is found by a binary search, and a declaration that sorts after the last one is new
 * without any search. A 10k-Service nat table declares 10^5 chains: a map of them costs a
 * trace, which looks up a few dozen, more than its whole walk. The map is built the first time
 * the order breaks, or once the searches get many (kpx check looks up every jump target).
 */
import {BUILTIN_CHAINS} from './iptables-list-tables.js'
import type {Chain} from './types.js'

/** What readers need of a table's chains by name. */
export interface ChainLookup {
  get(name: string): Chain | undefined
  has(name: string): boolean
  /** How many chains it holds (the table's list may have grown since: see chainsByName). */
  readonly size: number
}

/**
 * Binary searches before the map is built. A search compares ~17 names, ~8 µs on a 10^5-chain
 * table (V8 compares sliced strings slowly); the map of such a table costs ~80 ms, about 10^4
 * searches. A trace looks up each chain it walks (10^3 for a Service with 10^3 endpoints); kpx
 * check looks up 10^5 jump targets and gets its map after these.
 */
const MAX_SEARCHES = 1024

export class ChainDirectory implements ChainLookup {
  #map: Map<string, Chain> | undefined
  /** chains[0, #sorted) are the leading built-ins, looked through; chains[#sorted, #count) are sorted by name. */
  #sorted = 0
  #count = 0
  #searches = 0
  /** The name `get` last found to sort after every name held (add need not compare it again). */
  #sortsLast: string | undefined

  /** @param chains the table's own list, which `add` appends to */
  constructor(private readonly chains: Chain[]) {}

  get size(): number {
    return this.#count
  }

  /** Whether it has had to build its map (the order broke, or searches got many). */
  get hashed(): boolean {
    return this.#map !== undefined
  }

  get(name: string): Chain | undefined {
    if (this.#map !== undefined) return this.#map.get(name)
    const chains = this.chains
    for (let i = 0; i < this.#sorted; i++) if (chains[i].name === name) return chains[i]
    // After the last name (every new declaration, in iptables-save's order): not here.
    if (this.#count === this.#sorted || name > chains[this.#count - 1].name) {
      this.#sortsLast = name
      return undefined
    }
    if (++this.#searches > MAX_SEARCHES) return this.map().get(name)
    let low = this.#sorted
    let high = this.#count - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const other = chains[middle].name
      if (other === name) return chains[middle]
      if (other < name) low = middle + 1
      else high = middle - 1
    }
    return undefined
  }

  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  /** Appends a chain whose name it does not hold (the caller has looked) to the table's list. */
  add(chain: Chain): void {
    const name = chain.name
    if (this.#map === undefined) {
      const count = this.#count
      if (count === this.#sorted && BUILTIN_CHAINS.has(name)) this.#sorted++
      else if (count > this.#sorted && name !== this.#sortsLast && !(name > this.chains[count - 1].name)) this.map()
    }
    this.#map?.set(name, chain)
    this.chains.push(chain)
    this.#count++
    this.#sortsLast = undefined
  }

  /** The map of every chain (built on first need, then kept up to date). First of a name wins. */
  map(): Map<string, Chain> {
    if (this.#map === undefined) {
      const map = new Map<string, Chain>()
      for (let i = 0; i < this.#count; i++) if (!map.has(this.chains[i].name)) map.set(this.chains[i].name, this.chains[i])
      this.#map = map
    }
    return this.#map
  }
}
