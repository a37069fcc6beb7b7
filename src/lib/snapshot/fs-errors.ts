/** Filesystem errors as one line for a user (InputError messages). */

/** One line for a filesystem error, without Node's "ENOENT: ..., open '<path>'" repetition. */
export function describeFsError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory, expected a file'
    case 'ENOTDIR':
      return 'not a directory'
    default:
      return (error.code ? error.code + ': ' : '') + firstLine(error.message)
  }
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]
}
