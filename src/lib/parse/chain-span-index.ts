/**
 * A table's chains by name, looked up from a span of the dump's text without cutting the name
 * out. A reader of every rule of a 10k-Service dump (`kpx check`) resolves 3×10^5 jump targets:
 * with a Map each costs a new string and a hash of it, then a probe of a 10^5-entry table that
 * misses the caches, about 1 µs; here a hash over the span's characters and an Int32Array probe
 * cost less, and the answer is the chain's position in the table (readers index their own
 * per-chain arrays by it instead of keeping maps of names).
 */
import type {Chain} from './types.js'

export class ChainSpanIndex {
  /**
   * Open addressing, four numbers a slot (one cache line per probe): the name's hash, the
   * chain's position + 1 (0: empty slot), and where its name stands in `names`.
   */
  private readonly slots: Int32Array
  private readonly mask: number
  /** Every name, one after another: a probe compares against this, not against the chains' own strings (each a miss). */
  private readonly names: string

  /** @param chains the table's chains, in order; the first of a name wins (as in the parser). */
  constructor(private readonly chains: readonly Chain[]) {
    let size = 16
    while (size < chains.length * 2) size *= 2
    this.slots = new Int32Array(size * 4)
    this.mask = size - 1
    this.names = chains.map((chain) => chain.name).join('')
    let offset = 0
    for (let k = 0; k < chains.length; k++) {
      const length = chains[k].name.length
      this.insert(hashSpan(this.names, offset, offset + length), k, offset, length)
      offset += length
    }
  }

  private insert(hash: number, position: number, offset: number, length: number): void {
    const slots = this.slots
    let slot = hash & this.mask
    for (; slots[4 * slot + 1] !== 0; slot = (slot + 1) & this.mask) {
      const at = 4 * slot
      if (slots[at] === hash && slots[at + 3] === length && spanEquals(this.names, offset, offset + length, this.names, slots[at + 2])) return // first of a name wins
    }
    const at = 4 * slot
    slots[at] = hash
    slots[at + 1] = position + 1
    slots[at + 2] = offset
    slots[at + 3] = length
  }

  /** How many chains it was built over (a table that grew since needs a new index). */
  get size(): number {
    return this.chains.length
  }

  /** The position of the chain named text[start, end), or -1 when the table has none. */
  positionOf(text: string, start: number, end: number): number {
    const slots = this.slots
    const hash = hashSpan(text, start, end)
    for (let slot = hash & this.mask; slots[4 * slot + 1] !== 0; slot = (slot + 1) & this.mask) {
      const at = 4 * slot
      if (slots[at] === hash && slots[at + 3] === end - start && spanEquals(text, start, end, this.names, slots[at + 2])) return slots[at + 1] - 1
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

/** text[start, end) equals `other` from `offset` (`name` whole when no offset), compared in place (a startsWith of a non-literal is slower in V8). */
export function spanEquals(text: string, start: number, end: number, other: string, offset = -1): boolean {
  if (offset < 0) {
    if (end - start !== other.length) return false
    offset = 0
  }
  for (let k = 0; k < end - start; k++) if (text.charCodeAt(start + k) !== other.charCodeAt(offset + k)) return false
  return true
}
