/** Edit distance (Levenshtein, case-insensitive) between two short words. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let prev = Array.from({length: y.length + 1}, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const row = [i]
    for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[y.length]
}

/** The candidate a typo most likely meant, or null when none is close (a third of the word, at least 2 edits). */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: {c: string; d: number} | null = null
  for (const c of candidates) {
    // A prefix is as good as a typo: "stat" means "status".
    const d = c.toLowerCase().startsWith(word.toLowerCase()) && word.length >= 3 ? 1 : editDistance(word, c)
    if (!best || d < best.d) best = {c, d}
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : null
}
