/**
 * cluster.json read lazily: the whole text is validated as JSON up front (cluster-scan.ts), but
 * an object is JSON.parse'd and validated only when used, so `kpx trace` pays for the few
 * Services, EndpointSlices, pods and nodes it looks up, not for all of them. Opt-in
 * (readSnapshot's `lazyCluster`): for a command that uses every object (check) the scan is
 * extra work, and the eager path is faster.
 *
 * The promise: every result and every error is the eager path's (parseClusterJson). Files the
 * scan cannot vouch for (invalid JSON, a single object, Lists of Lists, an item without a name)
 * go to the eager path whole. A problem found in an object is reported as the eager path would
 * report the file: the first problem in document order up to that object.
 */
import {isAscii} from 'node:buffer'

import {scanList} from './cluster-scan.js'
import {checkedObject, fieldOfKind, hasName, isListKind, isObject, parseClusterJson} from './cluster-json.js'
import {type Decode, InvalidJson} from './json-scan.js'
import {decodeText} from './text-file.js'
import {type ClusterIndex, INDEX_MAPS, type IndexMapName, type IndexMaps, indexMaps, lookupsOver} from './cluster-index.js'
import type {ClusterObjects} from './types.js'

type Field = keyof ClusterObjects
const FIELDS: Field[] = ['nodes', 'services', 'endpointSlices', 'pods', 'configMaps']

export interface LazyItem {
  field: Field
  kind: string
  /** The item cut down to the fields lookups use (cluster-scan.ts ITEM_SHAPE). */
  skeleton: Record<string, unknown>
  start: number
  end: number
  /** Position in the file's `items`, for messages (`items[N]`). */
  index: number
}

/**
 * The scan's findings in a form that crosses threads cheaply (cluster-thread.ts): the items'
 * places as numbers, and the index maps' keys computed from the skeletons, as JSON text per map
 * (read only when a lookup needs that map). Items are referred to by their number in `places`.
 */
export interface CompactScan {
  /** Per item, PLACE_SIZE numbers: field (FIELDS index), kind (`kinds` index), start, end, index in `items`. */
  places: Int32Array
  kinds: string[]
  /** Per index map: JSON of its entries, `[key, item numbers]` (cluster-index.ts indexMaps). */
  keys: Record<IndexMapName, string>
}

const PLACE_SIZE = 5

/** The objects behind lazily read ClusterObjects, for indexCluster. */
const SOURCES = new WeakMap<ClusterObjects, LazyCluster>()

export class LazyCluster {
  private readonly parsed: (object | undefined)[] = []
  private lookups: ClusterIndex | undefined

  constructor(
    private readonly decode: Decode,
    private readonly origin: string,
    private readonly places: Int32Array,
    private readonly kinds: string[],
    /** Where the index's keys come from: each item's skeleton, or keys computed elsewhere. */
    private readonly keys: {skeletons: Record<string, unknown>[]} | {json: Record<IndexMapName, string>},
  ) {}

  static ofItems(decode: Decode, origin: string, items: LazyItem[]): LazyCluster {
    const {places, kinds} = placesOf(items)
    return new LazyCluster(decode, origin, places, kinds, {skeletons: items.map((item) => item.skeleton)})
  }

  static ofCompact(decode: Decode, origin: string, scan: CompactScan): LazyCluster {
    return new LazyCluster(decode, origin, scan.places, scan.kinds, {json: scan.keys})
  }

  /** The lookups over these objects (built once; each map on first use). */
  index(): ClusterIndex {
    return (this.lookups ??= 'json' in this.keys ? this.indexFromJson(this.keys.json) : this.indexFromSkeletons(this.keys.skeletons))
  }

  /** Every object of one list, in file order. */
  list(field: Field): object[] {
    const code = FIELDS.indexOf(field)
    const out: object[] = []
    for (let k = 0; k * PLACE_SIZE < this.places.length; k++) if (this.places[k * PLACE_SIZE] === code) out.push(this.object(k))
    return out
  }

  private indexFromJson(json: Record<IndexMapName, string>): ClusterIndex {
    const maps = {} as IndexMaps<number>
    for (const name of INDEX_MAPS) {
      let map: Map<string, number[]> | undefined
      maps[name] = () => (map ??= new Map(JSON.parse(json[name]) as [string, number[]][]))
    }
    return lookupsOver(maps, (k) => (k === undefined ? undefined : this.object(k)))
  }

  private indexFromSkeletons(skeletons: Record<string, unknown>[]): ClusterIndex {
    const positions = numbersOf(skeletons)
    const full = <T>(skeleton: T): T => (skeleton === undefined ? skeleton : (this.object(positions.get(skeleton as object)!) as T))
    return lookupsOver(indexMaps(listsOf(skeletons, this.places), full), full)
  }

  private object(k: number): object {
    let value = this.parsed[k]
    if (value === undefined) {
      try {
        value = this.check(k)
      } catch (error) {
        throw this.firstError(k) ?? error
      }
      this.parsed[k] = value
    }
    return value
  }

  private check(k: number): object {
    const at = k * PLACE_SIZE
    const value = JSON.parse(this.decode(this.places[at + 2], this.places[at + 3])) as Record<string, unknown>
    return checkedObject(value, this.kinds[this.places[at + 1]], `items[${this.places[at + 4]}]`, this.origin)
  }

  /** The error of the first bad object before `k` (the one the eager path would have thrown). */
  private firstError(k: number): unknown {
    for (let j = 0; j < k; j++) {
      if (this.parsed[j] !== undefined) continue
      try {
        this.check(j)
      } catch (error) {
        return error
      }
    }
    return undefined
  }
}

function placesOf(items: LazyItem[]): {places: Int32Array; kinds: string[]} {
  const places = new Int32Array(items.length * PLACE_SIZE)
  const kinds: string[] = []
  for (const [k, item] of items.entries()) {
    let kind = kinds.indexOf(item.kind)
    if (kind < 0) kind = kinds.push(item.kind) - 1
    places.set([FIELDS.indexOf(item.field), kind, item.start, item.end, item.index], k * PLACE_SIZE)
  }
  return {places, kinds}
}

/** Each skeleton's item number. */
function numbersOf(skeletons: object[]): Map<object, number> {
  const numbers = new Map<object, number>()
  for (const [k, skeleton] of skeletons.entries()) numbers.set(skeleton, k)
  return numbers
}

/** The items (skeletons, or anything in their place) per list, in file order. */
function listsOf<T>(items: T[], places: Int32Array): ClusterObjects {
  const lists: T[][] = FIELDS.map(() => [])
  for (const [k, item] of items.entries()) lists[places[k * PLACE_SIZE]].push(item)
  return Object.fromEntries(FIELDS.map((field, f) => [field, lists[f]])) as unknown as ClusterObjects
}

/**
 * The scan's items with the index maps' keys computed (cluster-index.ts indexMaps over the
 * skeletons), for a thread to send; undefined when a key cannot be computed from a skeleton
 * (a malformed object: the receiving side then needs the skeletons, to report it as the eager
 * path would).
 */
export function compactScan(items: LazyItem[]): CompactScan | undefined {
  const {places, kinds} = placesOf(items)
  const skeletons = items.map((item) => item.skeleton)
  const numbers = numbersOf(skeletons)
  const maps = indexMaps(listsOf(skeletons, places), () => {
    throw new KeyFailed()
  })
  const keys = {} as Record<IndexMapName, string>
  try {
    for (const name of INDEX_MAPS) keys[name] = JSON.stringify([...maps[name]()].map(([key, list]) => [key, list.map((s) => numbers.get(s))]))
  } catch {
    return undefined
  }
  return {places, kinds, keys}
}

class KeyFailed extends Error {}

/** The lazy source of ClusterObjects read by readClusterJson, unless a list was replaced since. */
export function lazySourceOf(objects: ClusterObjects): LazyCluster | undefined {
  return SOURCES.get(objects)
}

/**
 * cluster.json's bytes → ClusterObjects whose lists are read on first access. Same results and
 * errors as parseClusterJson on the decoded text (its fallback for anything but a plain List).
 */
export function readClusterJson(bytes: Buffer, origin: string): ClusterObjects {
  return clusterFromScan(bytes, origin, scanClusterItems(bytes))
}

/**
 * The scan's half of readClusterJson: the items of a plain List, or undefined when the eager
 * path must read (and judge) the file. Needs only the bytes, so it can run on another thread
 * (cluster-thread.ts); clusterFromScan finishes the job where the bytes are used.
 */
export function scanClusterItems(bytes: Uint8Array): LazyItem[] | undefined {
  const {decode, bom} = decoderOf(bytes)
  return scanItems(bytes, bom, decode)
}

/** ClusterObjects from the bytes and what scanClusterItems found in them. */
export function clusterFromScan(bytes: Buffer, origin: string, items: LazyItem[] | CompactScan | undefined): ClusterObjects {
  if (items === undefined) return parseClusterJson(decodeText(bytes), origin)
  const decode = decoderOf(bytes).decode
  return lazyClusterObjects(Array.isArray(items) ? LazyCluster.ofItems(decode, origin, items) : LazyCluster.ofCompact(decode, origin, items))
}

function decoderOf(bytes: Uint8Array): {decode: Decode; bom: number} {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ascii = isAscii(buffer)
  // Item boundaries are ASCII bytes, so decoding an item alone gives the same text as slicing the whole.
  const decode: Decode = ascii ? (start, end) => buffer.toString('latin1', start, end) : (start, end) => buffer.toString('utf8', start, end)
  const bom = !ascii && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0
  return {decode, bom}
}

/** The items of kinds kpx reads, or undefined when the eager path must read (and judge) the file. */
function scanItems(bytes: Uint8Array, from: number, decode: Decode): LazyItem[] | undefined {
  let list
  try {
    list = scanList(bytes, from, decode)
  } catch (error) {
    // Invalid JSON: JSON.parse gives the message. RangeError: nesting too deep for the scan.
    if (error instanceof InvalidJson || error instanceof RangeError) return undefined
    throw error
  }
  if (!list || typeof list.kind !== 'string' || !isListKind(list.kind)) return undefined
  // `ServiceList` items from the raw API carry no kind: it is implied by the list's kind.
  const implied = list.kind === 'List' ? undefined : list.kind.slice(0, -'List'.length)
  const items: LazyItem[] = []
  for (const [index, {skeleton, start, end}] of list.items.entries()) {
    if (!isObject(skeleton)) return undefined
    const kind = typeof skeleton.kind === 'string' ? skeleton.kind : implied
    if (kind !== undefined && isListKind(kind)) return undefined
    const field = fieldOfKind(kind)
    if (field === undefined) continue
    if (!hasName(skeleton)) return undefined
    items.push({field, kind: kind as string, skeleton, start, end, index})
  }
  return items
}

function lazyClusterObjects(lazy: LazyCluster): ClusterObjects {
  const objects = {} as ClusterObjects
  for (const field of FIELDS) {
    let memo: object[] | undefined
    Object.defineProperty(objects, field, {
      enumerable: true,
      configurable: true,
      get: () => (memo ??= lazy.list(field)),
      set(value: object[]) {
        memo = value
        // Lookups must now see the caller's list: indexCluster goes back to the eager index.
        SOURCES.delete(objects)
      },
    })
  }
  SOURCES.set(objects, lazy)
  return objects
}
