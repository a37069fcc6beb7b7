/**
 * cli-table3 wrapped to return a string (never print): the caller decides where it goes.
 * Borderless by default, which reads well in terminals and in CI logs alike.
 */
import Table from 'cli-table3'

export interface TableOptions {
  head: string[]
  /** Right-align these column indexes (numbers). */
  alignRight?: number[]
}

export function renderTable(rows: (string | number)[][], {head, alignRight = []}: TableOptions): string {
  const table = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '  ',
    },
    // No colours from cli-table3 itself: the caller's chalk instance colours cells, so
    // NO_COLOR and tests behave the same as everywhere else.
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0},
    colAligns: head.map((_, i) => (alignRight.includes(i) ? 'right' : 'left')),
  })
  for (const row of rows) table.push(row.map(String))
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
}
