/**
 * hasControlBytes (four bytes at a time) must agree with the parser's own garbage scan on every
 * byte value at every alignment, since a reader that trusts it skips that scan.
 */
import {expect} from 'chai'

import {hasControlBytes, parseRules} from '../../../src/lib/parse/index.js'
import {seededRandom} from '../../helpers/ruleset-generator.js'

/** What the parser reports, the reference: any binary-garbage issue on the latin1 text. */
function parserSeesGarbage(bytes: Buffer): boolean {
  return parseRules(bytes.toString('latin1')).issues.some((issue) => issue.code === 'binary-garbage')
}

const LINE = Buffer.from('-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https" -j KUBE-SVC-X\r\n\t')

describe('parse: hasControlBytes', () => {
  it('agrees with the parser for every ASCII byte value at every alignment and position', () => {
    let garbage = 0
    for (let value = 0; value < 128; value++) {
      for (const offset of [0, 1, 2, 3]) {
        for (const position of [0, 1, 5, 37, LINE.length - 1]) {
          const backing = Buffer.alloc(LINE.length + 8)
          LINE.copy(backing, offset)
          const bytes = backing.subarray(offset, offset + LINE.length)
          bytes[position] = value
          const expected = parserSeesGarbage(Buffer.from(bytes))
          if (expected) garbage++
          expect(hasControlBytes(bytes), `byte 0x${value.toString(16)} at ${position}, offset ${offset}`).to.equal(expected)
        }
      }
    }
    expect(garbage, 'the table includes garbage cases').to.be.greaterThan(100)
  })

  it('agrees on random ASCII text of every length up to 64', () => {
    const random = seededRandom(7)
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.alloc(Math.floor(random() * 65))
      const rare = random() < 0.5
      for (let k = 0; k < bytes.length; k++) bytes[k] = rare && random() < 0.97 ? 32 + Math.floor(random() * 95) : Math.floor(random() * 128)
      expect(hasControlBytes(bytes)).to.equal(parserSeesGarbage(bytes))
    }
  })
})
