/**
 * One pass over a cluster.json's bytes that validates the whole text as JSON and, for a List
 * (the form kubectl writes), notes where each item starts and ends plus the few fields kpx
 * looks objects up by (ITEM_SHAPE). Items are JSON.parse'd later, one by one, when used.
 */
import {type Decode, InvalidJson, readSkeleton, type Shape, shapeOf, skeletonEnd, skipSpace, skipString, skipValue} from './json-scan.js'

/**
 * The fields the lookups of cluster-index.ts read (names, the EndpointSlice's service label,
 * pod and node addresses, and what ranks pods sharing an IP), plus `kind`. Nothing else.
 */
export const ITEM_SHAPE: Shape = shapeOf({
  kind: true,
  metadata: {name: true, namespace: true, labels: {'kubernetes.io/service-name': true}},
  spec: {hostNetwork: true},
  status: {phase: true, podIP: true, podIPs: [{ip: true}], addresses: [{address: true}]},
})

export interface ScannedItem {
  /** The item cut down to ITEM_SHAPE (what JSON.parse gives on those paths; empty objects left out). */
  skeleton: unknown
  /** Byte offsets of the item in the document. */
  start: number
  end: number
}

export interface ScannedList {
  /** The top-level `kind` value, as JSON.parse would give it (undefined when absent). */
  kind: unknown
  items: ScannedItem[]
}

/**
 * The top-level object's `kind` and its `items`, scanning from `from` (after a BOM); undefined
 * when the text is valid JSON but not an object with exactly one `items` array (the eager path
 * then reads and judges it). Throws InvalidJson when the text is not valid JSON.
 */
export function scanList(b: Uint8Array, from: number, decode: Decode): ScannedList | undefined {
  let i = skipSpace(b, from)
  if (b[i] !== 0x7b) return validOrThrow(b, i)
  let kind: unknown
  let items: ScannedItem[] | undefined
  let usable = true
  i = skipSpace(b, i + 1)
  if (b[i] !== 0x7d) {
    for (;;) {
      const keyEnd = b[i] === 0x22 ? skipString(b, i) : -1
      if (keyEnd < 0) throw new InvalidJson()
      const key = JSON.parse(decode(i, keyEnd)) as string
      i = skipSpace(b, keyEnd)
      if (b[i] !== 0x3a) throw new InvalidJson()
      i = skipSpace(b, i + 1)
      if (key === 'kind') {
        kind = readSkeleton(b, i, {}, decode)
        i = skeletonEnd
      } else if (key === 'items' && items === undefined && b[i] === 0x5b) {
        items = []
        i = scanItems(b, i, items, decode)
      } else {
        // A second `items`, or one that is not an array: leave the judgement to the eager path.
        if (key === 'items') usable = false
        i = skipValue(b, i)
        if (i < 0) throw new InvalidJson()
      }
      i = skipSpace(b, i)
      if (b[i] === 0x7d) break
      if (b[i] !== 0x2c) throw new InvalidJson()
      i = skipSpace(b, i + 1)
    }
  }
  if (skipSpace(b, i + 1) !== b.length) throw new InvalidJson()
  return usable && items ? {kind, items} : undefined
}

/** Scans the array whose `[` is at `i`, noting each element; returns the end of the array. */
function scanItems(b: Uint8Array, i: number, into: ScannedItem[], decode: Decode): number {
  i = skipSpace(b, i + 1)
  if (b[i] === 0x5d) return i + 1
  for (;;) {
    // An object item with none of the shape's fields reads as undefined: it is still an object.
    const skeleton = readSkeleton(b, i, ITEM_SHAPE, decode) ?? (b[i] === 0x7b ? {} : undefined)
    into.push({skeleton, start: i, end: skeletonEnd})
    i = skipSpace(b, skeletonEnd)
    const c = b[i]
    if (c === 0x5d) return i + 1
    if (c !== 0x2c) throw new InvalidJson()
    i = skipSpace(b, i + 1)
  }
}

function validOrThrow(b: Uint8Array, i: number): undefined {
  const end = skipValue(b, i)
  if (end < 0 || skipSpace(b, end) !== b.length) throw new InvalidJson()
  return undefined
}
