/**
 * A rule line of one of the plain shapes (parse/line-shapes.ts) is read by the scanned-lines
 * reader without the fast scan: the shape must promise what the fast scan would find. Here every
 * rule line of the corpus, the examples, a generated dump and edited variants is held to it.
 */
import {expect} from 'chai'
// @ts-expect-error -- plain JS generator without type declarations (bench/generate-dump.js)
import {generateKubeProxyDump} from '../../../bench/generate-dump.js'
import {FastRuleScanner} from '../../../src/lib/parse/fast-scan.js'
import {SHAPE_NONE, shapeAt, shapeOfLine, shapeSpans, type ShapeSpans} from '../../../src/lib/parse/line-shapes.js'
import {corpusAndExampleDumps} from '../checks/helpers.js'

function texts(): [string, string][] {
  const all = corpusAndExampleDumps()
  const generated = generateKubeProxyDump({services: 40, endpointsPerService: 3, seed: 5}) as string
  all.push(['generated', generated])
  // Near misses: a tab in a comment, a lone CR, a quote in a word, an escape, a second -j, a bare comment word.
  const edits: [RegExp, string][] = [[/--comment "/g, '--comment "\t'], [/ -j KUBE-SEP-/g, ' -j KUBE-SEP-\r'], [/ -p tcp /g, ' -p t"cp '], [/--comment "([^"]*)"/g, '--comment "$1\\\\"'], [/ -j DNAT /g, ' -j KUBE-MARK-MASQ -j DNAT '], [/--comment "([^" ]*)[^"]*"/g, '--comment $1']]
  for (const [pattern, replacement] of edits) all.push([`generated with ${pattern} → ${JSON.stringify(replacement)}`, generated.replace(pattern, replacement)])
  return all
}

describe('parse: a line of a plain shape is what the fast scan reads', () => {
  it('on every rule line of the corpus, the examples, a generated dump and near misses', () => {
    const shaped = new Map<number, number>()
    const spans: ShapeSpans = {targetStart: -1, targetEnd: -1, targetHasOptions: false, commentStart: -1, commentEnd: -1}
    for (const [name, text] of texts()) {
      const scanner = new FastRuleScanner(text)
      for (let pos = 0; pos < text.length; ) {
        let end = text.indexOf('\n', pos)
        if (end < 0) end = text.length
        const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end
        const from = text.charCodeAt(pos) === 91 ? text.indexOf(']', pos) + 2 : pos
        if (text.startsWith('-A ', from) && !text.slice(from, lineEnd).includes('\t')) {
          const shape = shapeAt(text, from, lineEnd)
          const where = `${name}: ${JSON.stringify(text.slice(pos, lineEnd))}`
          expect(shapeOfLine(text.slice(from, lineEnd), 0), where).to.equal(shape)
          if (shape !== SHAPE_NONE) {
            shaped.set(shape, (shaped.get(shape) ?? 0) + 1)
            expect(scanner.scan(from, lineEnd, true), where).to.equal(true)
            shapeSpans(text, shape, from, lineEnd, spans)
            const r = scanner.result
            expect(spans, where).to.deep.equal({targetStart: r.targetStart, targetEnd: r.targetEnd, targetHasOptions: r.targetHasOptions, commentStart: r.commentStart, commentEnd: r.commentEnd})
          }
        }
        pos = end + 1
      }
    }
    // Every shape met often (1 random jump, 2 plain jump, 3 DNAT, 4 source jump).
    for (const shape of [1, 2, 3, 4]) expect(shaped.get(shape) ?? 0, `shape ${shape}`).to.be.greaterThan(20)
  })
})
