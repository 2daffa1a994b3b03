import {z} from 'zod'
import {TXT_STRING_MAX} from '../dns/records.js'

/** Records and RRsets as the plan file holds them (JSON: names as served, TTLs in seconds). */

/** One MX record, `{priority, exchange}` everywhere (plan files written before 0.2 said `preference`: read as priority). */
export const mxDataSchema = z.preprocess(
  (value) => {
    if (value && typeof value === 'object' && 'preference' in value && !('priority' in value)) {
      const {preference, ...rest} = value as Record<string, unknown>
      return {priority: preference, ...rest}
    }
    return value
  },
  z.strictObject({priority: z.number().int().min(0).max(65535), exchange: z.string()}),
)
export const soaDataSchema = z.strictObject({
  mname: z.string(),
  rname: z.string(),
  serial: z.number().int().min(0),
  refresh: z.number().int(),
  retry: z.number().int(),
  expire: z.number().int(),
  minimum: z.number().int(),
})
export const tlsaDataSchema = z.strictObject({
  usage: z.number().int(),
  selector: z.number().int(),
  matchingType: z.number().int(),
  certificate: z.string(),
})
/**
 * A TXT record split into character-strings other than at 255 octets, as the
 * server serves it. A plain string (how every TXT was held before mxcut kept
 * the strings, so older plan files load as they are) is the text cut at 255
 * octets, which is how those plans send it.
 */
export const txtStringsSchema = z.array(
  z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= TXT_STRING_MAX, {message: `a TXT character-string holds at most ${TXT_STRING_MAX} octets`}),
)
export const recordDataSchema = z.union([z.string(), txtStringsSchema, mxDataSchema, soaDataSchema, tlsaDataSchema])

export const rrsetSchema = z.strictObject({
  name: z.string().min(1),
  type: z.string().min(1),
  ttl: z.number().int().min(0),
  records: z.array(recordDataSchema),
})

/** One RRset before and after a step: before null = created, after null = deleted. */
export const rrsetChangeSchema = z.strictObject({
  name: z.string().min(1),
  type: z.string().min(1),
  before: rrsetSchema.nullable(),
  after: rrsetSchema.nullable(),
})

export type MxRecord = z.infer<typeof mxDataSchema>
export type RRsetJson = z.infer<typeof rrsetSchema>
export type RRsetChange = z.infer<typeof rrsetChangeSchema>
