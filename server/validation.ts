// Validation of every path parameter, query parameter and JSON body (zod). Anything that
// does not fit is a 400 with a plain reason; unknown query parameters are refused too, so
// a typo is not silently ignored.
import { z } from 'zod';
import { CALL_SORT_KEYS, isSearchable, type CallQuery, type CallSortKey } from './store/Store.js';

/** An error with an HTTP status and a message meant for the client. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Names shown in a refusal: the first few (a request may carry thousands of parameters). */
const MAX_NAMES_SHOWN = 5;

function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMES_SHOWN).map((k) => `'${k}'`).join(', ');
  return names.length > MAX_NAMES_SHOWN ? `${shown} and ${names.length - MAX_NAMES_SHOWN} more` : shown;
}

/** Parses `input` or throws a 400 naming what is wrong. */
export function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? ` '${issue.path.join('.')}'` : '';
  const reason = issue.code === 'unrecognized_keys' ? `unknown ${listed(issue.keys)}` : issue.message;
  throw new HttpError(400, `invalid ${what}${where}: ${reason}`);
}

const MAX_CALL_ID_LENGTH = 1024;
const MAX_CALL_IDS = 200;
const MAX_TEXT_LENGTH = 256;

/** A decimal integer in a string, bounded. */
function integerString(min: number, max: number) {
  return z.string().regex(/^\d{1,15}$/, 'expected a whole number').transform(Number).pipe(z.number().int().min(min).max(max));
}

/** One query value (a repeated parameter arrives as an array: take the last one). */
function single<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);
}

export const captureIdSchema = integerString(1, 2 ** 21);
/** Message ids are below 2^32 (see the message key in the schema). */
export const messageIdSchema = integerString(0, 2 ** 32 - 1);
export const callIdSchema = z.string().min(1).max(MAX_CALL_ID_LENGTH);
/** Share tokens are 43 base64url characters (32 random bytes); anything else is simply unknown. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Call-IDs from "a,b" and/or repeated parameters; each value is one URI-encoded Call-ID (commas split). */
export const callIdListSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.length > 0))
  .pipe(z.array(callIdSchema).min(1).max(MAX_CALL_IDS));

const OUTCOMES = ['completed', 'answered', 'cancelled', 'busy', 'rejected', 'failed', 'redirected', 'no-final-response', 'pending', 'success'] as const;
const KINDS = ['call', 'registration', 'subscription', 'message', 'options', 'publish', 'other', 'mid-dialog'] as const;
const SORTS = CALL_SORT_KEYS.flatMap((k) => [k, `-${k}`]) as [string, ...string[]];

export const callsQuerySchema = z
  .object({
    offset: single(integerString(0, 10_000_000)).default(0),
    limit: single(integerString(1, 500)).default(50),
    sort: single(z.enum(SORTS)).default('startTime'),
    outcome: single(z.enum(OUTCOMES)).optional(),
    kind: single(z.enum(KINDS)).optional(),
    anomaly: single(z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected an anomaly kind')).optional(),
    method: single(z.string().regex(/^[A-Za-z-]{1,32}$/, 'expected a SIP method')).optional(),
    status: single(integerString(100, 699)).optional(),
    user: single(z.string().min(1).max(MAX_TEXT_LENGTH)).optional(),
    callId: single(z.string().min(1).max(MAX_CALL_ID_LENGTH)).optional(),
    from: single(z.coerce.number().finite().min(0).max(1e11)).optional(),
    to: single(z.coerce.number().finite().min(0).max(1e11)).optional(),
    q: single(z.string().min(1).max(MAX_TEXT_LENGTH)).optional(),
  })
  .strict();

export type CallsQueryInput = z.infer<typeof callsQuerySchema>;

export function toCallQuery(q: CallsQueryInput): CallQuery {
  const descending = q.sort.startsWith('-');
  return {
    offset: q.offset,
    limit: q.limit,
    sort: (descending ? q.sort.slice(1) : q.sort) as CallSortKey,
    descending,
    outcome: q.outcome,
    kind: q.kind,
    anomaly: q.anomaly,
    method: q.method,
    status: q.status,
    user: q.user,
    callId: q.callId,
    from: q.from,
    to: q.to,
    q: q.q,
  };
}

export const ladderQuerySchema = z
  .object({
    callIds: callIdListSchema.optional(),
    merge: single(z.enum(['none', 'host'])).default('none'),
  })
  .strict();

export const exportQuerySchema = z.object({ callIds: callIdListSchema.optional() }).strict();

export const searchQuerySchema = z
  .object({
    q: single(z.string().max(MAX_TEXT_LENGTH).refine(isSearchable, 'search text needs at least 3 characters')),
    limit: single(integerString(1, 500)).default(100),
  })
  .strict();

export const emptyQuerySchema = z.object({}).strict();

/** A host alias key: "ip", "ip:port", "[ipv6]" or "[ipv6]:port" (checked loosely: it is only a lookup key). */
const aliasAddress = z.string().min(1).max(64).regex(/^[0-9A-Za-z.:[\]%-]+$/, 'expected an address');

export const aliasesBodySchema = z
  .object({
    aliases: z.record(aliasAddress, z.string().min(1).max(128)).refine((r) => Object.keys(r).length <= 1000, 'at most 1000 aliases'),
  })
  .strict();

export const createShareSchema = z
  .object({
    captureId: z.number().int().min(1).max(2 ** 21),
    callIds: z.array(callIdSchema).min(1).max(MAX_CALL_IDS).optional(),
    messageId: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    anonymize: z.boolean().default(false),
    expiresInSeconds: z.number().int().min(1).max(10 * 365 * 86400).optional(),
  })
  .strict();
