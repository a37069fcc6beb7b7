/**
 * A validating JSON scanner over the file's bytes that allocates nothing for the parts of a
 * document nobody asked for. It answers two questions JSON.parse answers only by building
 * every object:
 *  - is this text valid JSON? (`skipValue`: where a value ends, or -1), and
 *  - what are a few chosen fields of an object? (`readSkeleton`: the value cut down to the paths
 *    of a `Shape`, equal to what JSON.parse gives on those paths; with duplicate keys the last
 *    one wins, as in JSON.parse).
 * Bytes, not a string: no 16 MB decode, and a typed-array read is cheaper than charCodeAt. UTF-8
 * is safe to scan bytewise: every byte of a multi-byte character is >= 0x80, so JSON's
 * structure (all ASCII) is never inside one; such bytes are accepted inside strings only, as
 * JSON.parse accepts any decoded character there. It accepts exactly what JSON.parse accepts
 * (tests compare them on generated and mutated documents); callers hand text it rejects to
 * JSON.parse for the message.
 */

/** The paths to keep: `keys` descends into an object, `each` into every array element; else a leaf. */
export interface Shape {
  keys?: ShapeKey[]
  each?: Shape
}

interface ShapeKey {
  name: string
  /** `name` as UTF-8, compared with the key's bytes. */
  bytes: Uint8Array
  shape: Shape
}

/** Thrown when the text is not valid JSON; callers re-parse it with JSON.parse for the message. */
export class InvalidJson extends Error {}

/** Open containers of skipValue, shared by all calls (they do not nest): no allocation per value. */
let stack: Uint8Array = new Uint8Array(64)

const OBJECT = 1
const ARRAY = 2
const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The end (exclusive) of the JSON value at `i` (after whitespace), or -1 when it is not valid JSON. */
export function skipValue(b: Uint8Array, i: number): number {
  // Iterative, so that deep nesting cannot overflow the call stack (JSON.parse accepts it).
  let depth = 0
  value: for (;;) {
    i = skipSpace(b, i)
    const c = b[i]
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      i = skipSpace(b, i + 1)
      if (b[i] === c + 2 /* } or ] */) i++
      else {
        if (c === 0x7b) i = skipKey(b, i)
        if (i < 0) return -1
        if (depth === stack.length) stack = grow(stack) // (kept: later calls start deep enough)
        stack[depth++] = c === 0x7b ? OBJECT : ARRAY
        continue
      }
    } else {
      i = c === QUOTE ? skipString(b, i) : skipScalar(b, i, c)
      if (i < 0) return -1
    }
    // A value ended: close containers until one continues with a comma.
    while (depth > 0) {
      i = skipSpace(b, i)
      const d = b[i]
      const top = stack[depth - 1]
      if (d === 0x2c /* , */) {
        i = top === OBJECT ? skipKey(b, skipSpace(b, i + 1)) : i + 1
        if (i < 0) return -1
        continue value
      }
      if (d !== (top === OBJECT ? 0x7d : 0x5d)) return -1
      depth--
      i++
    }
    return i
  }
}

function grow(old: Uint8Array): Uint8Array {
  const bigger = new Uint8Array(old.length * 2)
  bigger.set(old)
  return bigger
}

/** JSON whitespace is exactly these four characters. */
export function skipSpace(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i]
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
    else return i
  }
}

/** `"key"` then `:`; returns the position after the colon, or -1. */
function skipKey(b: Uint8Array, i: number): number {
  if (b[i] !== QUOTE) return -1
  i = skipString(b, i)
  if (i < 0) return -1
  i = skipSpace(b, i)
  return b[i] === 0x3a /* : */ ? i + 1 : -1
}

/** The end of the string whose quote is at `i`, or -1 (a raw control character, a bad escape, no end). */
export function skipString(b: Uint8Array, i: number): number {
  const n = b.length
  for (let j = i + 1; j < n; j++) {
    const c = b[j]
    if (c === QUOTE) return j + 1
    if (c === BACKSLASH) {
      const e = b[++j]
      if (e === 0x75 /* u */) {
        if (!(isHex(b[j + 1]) && isHex(b[j + 2]) && isHex(b[j + 3]) && isHex(b[j + 4]))) return -1
        j += 4
      } else if (!isSimpleEscape(e)) return -1
    } else if (c < 0x20) return -1
  }
  return -1
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
}

/** `"` `\` `/` `b` `f` `n` `r` `t` */
function isSimpleEscape(c: number): boolean {
  return c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74
}

/** A number or true/false/null starting at `i` (first byte `c`); its end, or -1. */
function skipScalar(b: Uint8Array, i: number, c: number): number {
  if (c === 0x74) return b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65 ? i + 4 : -1 // true
  if (c === 0x66) return b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65 ? i + 5 : -1 // false
  if (c === 0x6e) return b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c ? i + 4 : -1 // null
  return skipNumber(b, i)
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` */
function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d /* - */) i++
  const first = b[i]
  if (first === 0x30) i++
  else if (first >= 0x31 && first <= 0x39) i = skipDigits(b, i + 1)
  else return -1
  if (b[i] === 0x2e /* . */) {
    const end = skipDigits(b, i + 1)
    if (end === i + 1) return -1
    i = end
  }
  const e = b[i]
  if (e === 0x65 || e === 0x45) {
    i++
    const sign = b[i]
    if (sign === 0x2b || sign === 0x2d) i++
    const end = skipDigits(b, i)
    if (end === i) return -1
    i = end
  }
  return i
}

function skipDigits(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i]
    if (c >= 0x30 && c <= 0x39) i++
    else return i
  }
}

/** Decodes a byte range of the document: UTF-8, or latin1 when the document is all ASCII. */
export type Decode = (start: number, end: number) => string

/** Where the value read by the last readSkeleton call ended (a variable, not a {value, end} per call). */
export let skeletonEnd = 0

/**
 * The value at `i` cut down to `shape`; its end goes to `skeletonEnd`. Objects and arrays the
 * shape expects are rebuilt with the shape's fields only, and an object the shape expects that
 * holds none of them reads as undefined (the lookups read fields with `?.`, so an absent object
 * and an empty one answer alike, and the many items without `spec.hostNetwork` cost nothing).
 * Anything else (a leaf, or a value of another type than the shape expects) is the exact
 * JSON.parse value. Throws InvalidJson on invalid text.
 */
export function readSkeleton(b: Uint8Array, i: number, shape: Shape, decode: Decode): unknown {
  i = skipSpace(b, i)
  const c = b[i]
  if (shape.keys && c === 0x7b) return readObject(b, i, shape.keys, decode)
  if (shape.each && c === 0x5b) return readArray(b, i, shape.each, decode)
  const end = skipValue(b, i)
  if (end < 0) throw new InvalidJson()
  skeletonEnd = end
  return c === QUOTE ? stringAt(b, i, end, decode) : JSON.parse(decode(i, end))
}

function readObject(b: Uint8Array, i: number, keys: ShapeKey[], decode: Decode): unknown {
  let value: Record<string, unknown> | undefined
  i = skipSpace(b, i + 1)
  if (b[i] !== 0x7d) {
    for (;;) {
      const keyEnd = b[i] === QUOTE ? skipString(b, i) : -1
      if (keyEnd < 0) throw new InvalidJson()
      const colon = skipSpace(b, keyEnd)
      if (b[colon] !== 0x3a) throw new InvalidJson()
      const key = shapeKeyAt(b, i, keyEnd, keys, decode)
      if (key) {
        const field = readSkeleton(b, colon + 1, key.shape, decode)
        // Only shape keys are assigned, never `__proto__`; a later duplicate replaces, as in JSON.parse.
        value ??= {}
        value[key.name] = field
        i = skeletonEnd
      } else {
        i = skipValue(b, colon + 1)
        if (i < 0) throw new InvalidJson()
      }
      i = skipSpace(b, i)
      if (b[i] === 0x7d) break
      if (b[i] !== 0x2c) throw new InvalidJson()
      i = skipSpace(b, i + 1)
    }
  }
  skeletonEnd = i + 1
  return value
}

function readArray(b: Uint8Array, i: number, each: Shape, decode: Decode): unknown[] {
  const value: unknown[] = []
  i = skipSpace(b, i + 1)
  if (b[i] !== 0x5d) {
    for (;;) {
      value.push(readSkeleton(b, i, each, decode))
      i = skipSpace(b, skeletonEnd)
      if (b[i] === 0x5d) break
      if (b[i] !== 0x2c) throw new InvalidJson()
      i++
    }
  }
  skeletonEnd = i + 1
  return value
}

/** The shape key the string at [start, end) (quotes included) spells, if any; compared bytewise. */
function shapeKeyAt(b: Uint8Array, start: number, end: number, keys: ShapeKey[], decode: Decode): ShapeKey | undefined {
  const length = end - start - 2
  for (const key of keys) {
    if (key.bytes.length !== length) continue
    let same = true
    for (let k = 0; k < length && same; k++) same = b[start + 1 + k] === key.bytes[k]
    if (same) return key
  }
  // An escaped key (`"na\u006de"`) is spelled differently but may still name a shape key.
  if (hasBackslash(b, start, end)) {
    const name = stringAt(b, start, end, decode)
    return keys.find((key) => key.name === name)
  }
  return undefined
}

/** The string whose quotes are at `start` and `end - 1`; escapes are left to JSON.parse. */
function stringAt(b: Uint8Array, start: number, end: number, decode: Decode): string {
  return hasBackslash(b, start, end) ? (JSON.parse(decode(start, end)) as string) : decode(start + 1, end - 1)
}

function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k] === BACKSLASH) return true
  return false
}

/** A Shape from a nested description: `{a: {b: true}, list: [{ip: true}]}`. */
export function shapeOf(description: ShapeDescription): Shape {
  if (description === true) return {}
  if (Array.isArray(description)) return {each: shapeOf(description[0])}
  const keys = Object.entries(description).map(([name, sub]) => ({name, bytes: new TextEncoder().encode(name), shape: shapeOf(sub)}))
  return {keys}
}

export type ShapeDescription = true | [ShapeDescription] | {[key: string]: ShapeDescription}
