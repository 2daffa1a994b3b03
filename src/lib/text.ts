/** "1 resolver", "3 resolvers", "0 resolvers" (or the plural given, for "1 entry", "2 entries"). */
export function count(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}

/** The verb that agrees with n: agree(1) "agrees", agree(2) "agree". */
export function agreeing(n: number, singular: string, plural: string): string {
  return n === 1 ? singular : plural
}
