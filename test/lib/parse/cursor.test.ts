import {expect} from 'chai'
import {Cursor} from '../../../src/lib/parse/fast-scan.js'

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32)
}

describe('parse: Cursor answers as indexOf would, moving forward and back', () => {
  for (const pattern of ['\\', 'ab', 'statistic']) {
    it(`for ${JSON.stringify(pattern)}`, () => {
      const next = random(pattern.length)
      let checked = 0
      for (let round = 0; round < 40; round++) {
        const words = ['x', 'a', 'b', 'ab', 'stat', 'statistic', '\\', ' ']
        const text = Array.from({length: 200}, () => words[Math.floor(next() * (round % 2 === 0 ? words.length : 3))]).join('')
        const cursor = new Cursor(text, pattern)
        let from = 0
        for (let step = 0; step < 100; step++) {
          // Mostly forward, sometimes back (a reader visiting chains out of the text's order).
          from = next() < 0.8 ? Math.min(text.length, from + Math.floor(next() * 20)) : Math.floor(next() * text.length)
          expect(cursor.next(from), `round ${round} step ${step} from ${from}`).to.equal(text.indexOf(pattern, from))
          checked++
        }
      }
      expect(checked).to.equal(4000)
    })
  }
})
