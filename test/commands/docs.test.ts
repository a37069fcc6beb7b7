/**
 * README.md and every examples/<name>/README.md promise commands; run each offline one and
 * check it works (exit 0; `kpx check` on the deliberately broken example exits 1). Lines that
 * need a live cluster, a user's own file or a placeholder are skipped and counted.
 */
import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'

const docs = ['README.md', ...readdirSync('examples').filter((d) => !d.startsWith('_')).map((d) => `examples/${d}/README.md`)]

function documentedCommands(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => /^\s*(?:\$ )?kpx (.+?)(?:\s+#.*)?$/.exec(line)?.[1].trim())
    .filter((cmd): cmd is string => cmd !== undefined)
    .filter((cmd) => /--snapshot examples\/|--rules examples\/|^check --list/.test(cmd) && !/[…<>|]/.test(cmd))
}

describe('documented commands work', () => {
  for (const file of docs) {
    const commands = documentedCommands(file)
    it(`${file} documents at least one runnable command`, () => expect(commands.length).to.be.greaterThan(0))
    for (const cmd of commands) {
      it(`${file}: kpx ${cmd}`, async () => {
        const {error} = await runCommand(cmd.split(/\s+/))
        const expected = /^check .*examples\/stale/.test(cmd) ? 1 : undefined
        expect(error?.oclif?.exit, error?.message).to.equal(expected)
      })
    }
  }
})
