/**
 * SHA-256 of a short ASCII string (FIPS 180-4), for kube-proxy's chain-name hashes. `kpx check`
 * verifies the name of every KUBE-SEP chain of a dump, 10^5 hashes of ~40 characters; computed
 * here they cost about half of `crypto.hash` (which pays a native call and an OpenSSL context
 * each time). Non-ASCII text returns undefined: the caller uses node:crypto (UTF-8) then.
 * Tested against node:crypto in test/lib/kube-proxy/names.test.ts.
 */

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])
const INITIAL = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

// Reused buffers: hashing is synchronous, and the caller copies what it keeps.
let message = new Int32Array(64)
const schedule = new Int32Array(64)
const state = new Int32Array(8)
const digest = new Uint8Array(32)

/** The 32-byte digest (a shared buffer, overwritten by the next call), or undefined for non-ASCII text. */
export function sha256Ascii(text: string): Uint8Array | undefined {
  return sha256AsciiJoined(text, '', '')
}

/**
 * The digest of `a + b + c`, without making that string: joining and then reading a string
 * costs as much as the hash itself (kube-proxy's KUBE-SEP names hash port name + protocol +
 * endpoint, 10^5 times per `kpx check`). Undefined for non-ASCII text.
 */
export function sha256AsciiJoined(a: string, b: string, c: string): Uint8Array | undefined {
  return sha256AsciiSpans(a, 0, a.length, b, 0, b.length, c, 0, c.length)
}

/** sha256AsciiJoined of a[aFrom, aTo) + b[bFrom, bTo) + c[cFrom, cTo): parts of a larger text, not cut out. */
export function sha256AsciiSpans(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number, c: string, cFrom: number, cTo: number): Uint8Array | undefined {
  const n = aTo - aFrom + (bTo - bFrom) + (cTo - cFrom)
  const words = (((n + 8) >> 6) + 1) * 16
  if (message.length < words) message = new Int32Array(words)
  message.fill(0, 0, words)
  const afterA = putAscii(a, aFrom, aTo, 0)
  const afterB = afterA < 0 ? -1 : putAscii(b, bFrom, bTo, afterA)
  if (afterB < 0 || putAscii(c, cFrom, cTo, afterB) < 0) return undefined
  message[n >> 2] |= 0x80 << (24 - 8 * (n & 3)) // then zeros and the 64-bit bit length
  message[words - 1] = n * 8 // texts here are far below 2^29 characters
  state.set(INITIAL)
  for (let block = 0; block < words; block += 16) compress(block)
  for (let i = 0; i < 32; i++) digest[i] = state[i >> 2] >>> (24 - 8 * (i & 3))
  return digest
}

/** Writes text[from, to) into the message from byte `at`; returns where it stopped, -1 at a non-ASCII character. */
function putAscii(text: string, from: number, to: number, at: number): number {
  for (let i = from; i < to; i++, at++) {
    const c = text.charCodeAt(i)
    if (c > 0x7f) return -1
    message[at >> 2] |= c << (24 - 8 * (at & 3))
  }
  return at
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))

function compress(block: number): void {
  const w = schedule
  for (let t = 0; t < 16; t++) w[t] = message[block + t]
  for (let t = 16; t < 64; t++) {
    const w15 = w[t - 15]
    const w2 = w[t - 2]
    w[t] = (w[t - 16] + (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3)) + w[t - 7] + (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10))) | 0
  }
  let a = state[0]
  let b = state[1]
  let c = state[2]
  let d = state[3]
  let e = state[4]
  let f = state[5]
  let g = state[6]
  let h = state[7]
  for (let t = 0; t < 64; t++) {
    const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  state[0] += a
  state[1] += b
  state[2] += c
  state[3] += d
  state[4] += e
  state[5] += f
  state[6] += g
  state[7] += h
}
