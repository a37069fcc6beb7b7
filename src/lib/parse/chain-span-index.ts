/**
 * A table's chains by name, looked up from a span of the dump's text without cutting the name
 * out. A reader of every rule of a 10k-Service dump (`kpx check`) resolves 3×10^5 jump targets:
 * with a Map each costs a new string and a hash of it, then a probe of a 10^5-entry table that
 * misses the caches, about 1 µs; here a hash over the span's characters and an Int32Array probe
 * cost a tenth of that, and the answer is the chain's position in the table (readers index
 * their own per-chain arrays by it instead of keeping maps of names).
 */
import type {Chain} from './types.js'

export class ChainSpanIndex {
  /** Open addressing: position + 1 of the chain in each slot, 0 for an empty slot. */
  private readonly slots: Int32Array
  /** The name hash of each slot's chain: a probe compares names only when hashes agree. */
  private readonly hashes: Int32Array
  private readonly mask: number

  /** @param chains the table's chains, in order; the first of a name wins (as in the parser). */
  constructor(private readonly chains: readonly Chain[]) {
    let size = 16
    while (size < chains.length * 2) size *= 2
    this.slots = new Int32Array(size)
    this.hashes = new Int32Array(size)
    this.mask = size - 1
    for (let k = 0; k < chains.length; k++) {
      const name = chains[k].name
      const hash = hashSpan(name, 0, name.length)
      let slot = hash & this.mask
      while (this.slots[slot] !== 0 && !(this.hashes[slot] === hash && chains[this.slots[slot] - 1].name === name)) slot = (slot + 1) & this.mask
      if (this.slots[slot] !== 0) continue // first of a name wins
      this.slots[slot] = k + 1
      this.hashes[slot] = hash
    }
  }

  /** How many chains it was built over (a table that grew since needs a new index). */
  get size(): number {
    return this.chains.length
  }

  /** The position of the chain named text[start, end), or -1 when the table has none. */
  positionOf(text: string, start: number, end: number): number {
    const hash = hashSpan(text, start, end)
    let slot = hash & this.mask
    for (let held = this.slots[slot]; held !== 0; held = this.slots[slot]) {
      if (this.hashes[slot] === hash && spanEquals(text, start, end, this.chains[held - 1].name)) return held - 1
      slot = (slot + 1) & this.mask
    }
    return -1
  }
}

/** FNV-1a over the UTF-16 code units of text[start, end), as a signed 32-bit integer. */
function hashSpan(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5 | 0
  for (let k = start; k < end; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193)
  return hash
}

/** text[start, end) === name, compared in place (a startsWith of a non-literal is slower in V8). */
export function spanEquals(text: string, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false
  for (let k = 0; k < name.length; k++) if (text.charCodeAt(start + k) !== name.charCodeAt(k)) return false
  return true
}
