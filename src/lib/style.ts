/**
 * Colour only for people at a terminal: never when stdout is piped, when
 * NO_COLOR is set (https://no-color.org), or TERM=dumb.
 */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== undefined) return false
  if (process.env.TERM === 'dumb') return false
  return Boolean(stream.isTTY)
}

function wrap(open: number, close: number) {
  return (text: string): string => (colorEnabled() ? `\u001B[${open}m${text}\u001B[${close}m` : text)
}

export const bold = wrap(1, 22)
export const dim = wrap(2, 22)
export const red = wrap(31, 39)
export const green = wrap(32, 39)
export const yellow = wrap(33, 39)
export const cyan = wrap(36, 39)

/** Visible width, ignoring ANSI colour codes. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, '').length
}

/** A plain aligned table: one header row, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c))))
      .join('  ')
      .trimEnd()
  return [line(headers.map((h) => bold(h))), ...rows.map(line)].join('\n')
}
