/**
 * Reading big text files (a 48 MB iptables-save, a 16 MB cluster.json) cheaply.
 * `readFile(path, 'utf8')` reads in 512 KB chunks and decodes each through string_decoder into
 * a rope that is flattened (copied again) on first use. Instead: one read into a buffer of the
 * file's size, then one decode; for pure ASCII (what iptables-save and kubectl write, almost
 * always) the latin1 decoder, which is a plain copy and gives the same string: an ASCII byte is
 * the same character in both encodings.
 */
import {isAscii} from 'node:buffer'
import {open} from 'node:fs/promises'

/** The file's text, exactly as `readFile(path, 'utf8')` gives it. Errors are the file system's. */
export async function readTextFile(path: string): Promise<string> {
  return decodeText(await readBytes(path))
}

/** `bytes.toString('utf8')`, through the cheaper latin1 decoder when every byte is ASCII. */
export function decodeText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8')
}

/** Allocates the buffer a file is read into (readBytes); `sharedBuffer` puts it in shared memory. */
export type Allocate = (size: number) => Buffer

/** A buffer in shared memory: a worker thread can read it as it is (no copy). */
export const sharedBuffer: Allocate = (size) => Buffer.from(new SharedArrayBuffer(size))

/** The file's bytes, read with as few system calls as its size allows. */
export async function readBytes(path: string, allocate: Allocate = Buffer.allocUnsafe): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const {size} = await handle.stat()
    // Size 0 is also what /proc files and pipes report: read those to their end.
    if (size === 0) return await handle.readFile()
    const bytes = allocate(size)
    let got = 0
    while (got < size) {
      const {bytesRead} = await handle.read(bytes, got, size - got, got)
      if (bytesRead === 0) return bytes.subarray(0, got) // the file shrank meanwhile
      got += bytesRead
    }
    // A file that grew meanwhile is read again whole, as readFile would have.
    const probe = await handle.read(Buffer.alloc(1), 0, 1, size)
    return probe.bytesRead === 0 ? bytes : await handle.readFile()
  } finally {
    await handle.close()
  }
}
