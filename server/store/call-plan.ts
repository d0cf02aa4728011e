// How the calls table answers a filtered, sorted page quickly on a capture of 100 000 calls
// and more (bench/calls-table.ts measures it). Pure functions: the SQL of each filter and the
// choice between two ways of finding a page; SqliteStore runs them.
//
// Most filters have an index of their own: an outcome, a kind or a time range (indexes on
// calls), an anomaly kind, a method or a status code (call_tags), a text of 3 characters or
// more (calls_fts, FTS5 trigrams), the Call-IDs of a share. Each such filter is a CallSet:
// the calls it keeps can be listed from its index, and counted there cheaply, and any one
// call can be tested against it. A page is then found one of two ways:
//   walk:   follow an index in the sort order, testing each call, until the page is full:
//           cheap when matches are dense;
//   gather: list the calls of the smallest set (with none, read every call in key order),
//           test them against the others and sort them: cheap when few calls match.
// Counting the sets first says which is cheaper. A walk is costed at its worst: the calls
// that do not match may all come first (all cancelled calls sort last by duration, say), so
// it is chosen only when few calls do not match. SQLite's own planner cannot know how many
// calls a tag or a substring keeps, and its wrong choice costs 100 000 lookups.
import type { CallFilter, CallSortKey } from './Store.js';

export interface Sql {
  text: string;
  params: unknown[];
}

/** Rows of calls_fts are keyed capture_id * 2^32 + idx, as messages are (see the schema). */
const CALL_KEY_SPAN = 2 ** 32;
/** Trigrams: a text shorter than this has none and is looked for row by row. */
const TRIGRAM = 3;
/** A text this long has 6 trigrams or more: matching it as a phrase costs 6 doclists at least. */
const LONG_TEXT = 8;

/**
 * Costs in units of one lookup of a calls row by key (about a microsecond), measured on the
 * 100 000-call bench capture: following a covering index costs a fifth of a lookup, reading
 * the rows in key order a third, a LIKE on a row as much; a gathered call costs twice a lookup
 * more for its share of the sort; listing an FTS5 match half a lookup (and more for a long text
 * that every call holds); testing a key against a list made once, a tenth.
 */
const COST = { indexStep: 0.2, scanned: 0.3, like: 0.3, lookup: 1, sorted: 2, tagProbe: 1, ftsListed: 0.5, listProbe: 0.1 };

/** How a set tests one call. */
export interface SetTest {
  sql: Sql;
  /** What all the tests cost, lookups of the calls rows apart. */
  cost: number;
  /** It reads a column of the calls row (a lookup when following another index). */
  readsRow: boolean;
}

/** A filter with an index of its own. */
export interface CallSet {
  /** `SELECT idx ...`: the calls of the capture it keeps. */
  rows: Sql;
  /** Its own index, when that lists its calls in a sort order (its test then bounds the walk and costs nothing). */
  orderedBy?: { sort: CallSortKey; index: string };
  /** Its test of the calls row `c` when about `probes` of its `size` calls will be tested. */
  test(probes: number, size: number): SetTest;
  /**
   * For a long text: counts of the calls holding some of its trigrams, and the row test (a
   * LIKE) to use instead of the set when most calls hold each of them (see textSet).
   */
  ifCommon?: { probes: Sql[]; rowTest: Sql };
}

export interface CallConditions {
  sets: CallSet[];
  /** Tests with no index (a text of one or two characters, a common long text): read every call's row. */
  rowTests: Sql[];
}

/** A LIKE pattern matching `text` anywhere, with the wildcards in `text` taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** An FTS5 query for `text` as one phrase: with trigram tokens, a substring match. */
export function phraseQuery(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** Calls whose indexed column satisfies `condition` (over c); `startTimeIndex` lists them by start time. */
function columnSet(captureId: number, condition: string, params: unknown[], startTimeIndex?: string): CallSet {
  return {
    rows: { text: `SELECT idx FROM calls c WHERE c.capture_id = ? AND ${condition}`, params: [captureId, ...params] },
    orderedBy: startTimeIndex === undefined ? undefined : { sort: 'startTime', index: startTimeIndex },
    test: (probes) => ({ sql: { text: condition, params }, cost: probes * COST.listProbe, readsRow: true }),
  };
}

/** Calls carrying a tag of call_tags ("m:INVITE", "s:486", "a:auth-loop"). */
function tagSet(captureId: number, tag: string): CallSet {
  return {
    rows: { text: 'SELECT idx FROM call_tags WHERE capture_id = ? AND tag = ?', params: [captureId, tag] },
    test: (probes) => ({
      sql: { text: 'EXISTS (SELECT 1 FROM call_tags t WHERE t.capture_id = ? AND t.tag = ? AND t.idx = c.idx)', params: [captureId, tag] },
      cost: probes * COST.tagProbe,
      readsRow: false,
    }),
  };
}

/** Where a substring filter looks: calls_fts columns (3 characters or more), else calls columns with LIKE. */
interface TextColumns {
  fts: string;
  row: string[];
  /** The row columns are stored lower-cased (calls_fts folds case itself). */
  lowerCased: boolean;
}

const USER_COLUMNS: TextColumns = { fts: 'caller_user callee_user', row: ['caller_user', 'callee_user'], lowerCased: false };
const CALL_ID_COLUMNS: TextColumns = { fts: 'call_id', row: ['call_id'], lowerCased: false };
const PARTIES_COLUMNS: TextColumns = { fts: 'parties', row: ['parties_text'], lowerCased: true };

/** LIKE of `text` in the row columns: ASCII letters only are folded, unless the columns are stored lower-cased. */
function likeTest(columns: TextColumns, text: string): Sql {
  const pattern = containsPattern(columns.lowerCased ? text.toLowerCase() : text);
  return {
    text: `(${columns.row.map((column) => `c.${column} LIKE ? ESCAPE '\\'`).join(' OR ')})`,
    params: columns.row.map(() => pattern),
  };
}

/** The calls of the capture whose `columns` of calls_fts hold `text` (3 characters or more). */
function ftsRows(captureId: number, columns: TextColumns, text: string): Sql {
  const base = captureId * CALL_KEY_SPAN;
  return {
    text: 'SELECT rowid - ? AS idx FROM calls_fts WHERE calls_fts MATCH ? AND rowid BETWEEN ? AND ?',
    params: [base, `{${columns.fts}} : ${phraseQuery(text)}`, base, base + CALL_KEY_SPAN - 1],
  };
}

/**
 * Calls with `text` in `columns`, found through calls_fts. One call is tested by a LIKE on its
 * row when few are (a walk through dense matches), else against the list of all matches, made
 * once: an FTS5 probe of a single rowid walks the trigrams' whole doclists, milliseconds each.
 * The LIKE folds case as FTS5 does only for ASCII text (or lower-cased columns); other text is
 * always looked up in calls_fts.
 *
 * Matching a phrase costs about its number of trigrams times the calls holding the rarest one:
 * a long text of which every part is common (a domain every call has) costs several times a
 * LIKE on every row. When its first, middle and last trigrams are each held by most calls, the
 * others may be too, and the LIKE is taken instead (ifCommon): its cost is bounded whatever the
 * text. One rare trigram among them is enough for the phrase to be cheap to match.
 */
function textSet(captureId: number, columns: TextColumns, text: string): CallSet {
  const rows = ftsRows(captureId, columns, text);
  const likeFoldsAsFts = columns.lowerCased || /^[\x00-\x7f]*$/.test(text);
  const like = likeTest(columns, text);
  const characters = [...text];
  const trigramCounts = () => [0, Math.floor((characters.length - TRIGRAM) / 2), characters.length - TRIGRAM].map((at) => {
    const calls = ftsRows(captureId, columns, characters.slice(at, at + TRIGRAM).join(''));
    return { text: `SELECT count(*) FROM (${calls.text})`, params: calls.params };
  });
  return {
    rows,
    test(probes, size) {
      const listed = size * COST.ftsListed + probes * COST.listProbe;
      if (likeFoldsAsFts && probes * (COST.lookup + COST.like) < listed) return { sql: like, cost: probes * COST.like, readsRow: true };
      return { sql: { text: `c.idx IN (${rows.text})`, params: rows.params }, cost: listed, readsRow: false };
    },
    ifCommon: likeFoldsAsFts && characters.length >= LONG_TEXT ? { probes: trigramCounts(), rowTest: like } : undefined,
  };
}

function substring(captureId: number, out: CallConditions, columns: TextColumns, text: string): void {
  if ([...text].length >= TRIGRAM) out.sets.push(textSet(captureId, columns, text));
  else out.rowTests.push(likeTest(columns, text));
}

/** The conditions of a call filter. */
export function callConditions(captureId: number, f: CallFilter): CallConditions {
  const out: CallConditions = { sets: [], rowTests: [] };
  if (f.outcome !== undefined) out.sets.push(columnSet(captureId, 'c.outcome = ?', [f.outcome], 'calls_outcome'));
  if (f.kind !== undefined) out.sets.push(columnSet(captureId, 'c.kind = ?', [f.kind], 'calls_kind'));
  if (f.from !== undefined || f.to !== undefined) {
    const bounds = [...(f.from !== undefined ? ['c.start_time >= ?'] : []), ...(f.to !== undefined ? ['c.start_time <= ?'] : [])];
    out.sets.push(columnSet(captureId, bounds.join(' AND '), [f.from, f.to].filter((v) => v !== undefined), 'calls_start'));
  }
  if (f.anomaly !== undefined) out.sets.push(tagSet(captureId, `a:${f.anomaly}`));
  if (f.method !== undefined) out.sets.push(tagSet(captureId, `m:${f.method.toUpperCase()}`));
  if (f.status !== undefined) out.sets.push(tagSet(captureId, `s:${f.status}`));
  if (f.user !== undefined) substring(captureId, out, USER_COLUMNS, f.user);
  if (f.callId !== undefined) substring(captureId, out, CALL_ID_COLUMNS, f.callId);
  if (f.q !== undefined) substring(captureId, out, PARTIES_COLUMNS, f.q);
  if (f.callIds !== undefined) out.sets.push(columnSet(captureId, 'c.call_id IN (SELECT value FROM json_each(?))', [JSON.stringify(f.callIds)]));
  return out;
}

/** The index that lists a capture's calls in the order of each sort key (idx, part of every index, breaks ties). */
const SORT_INDEXES: Record<CallSortKey, { index: string; column: string }> = {
  startTime: { index: 'calls_start', column: 'c.start_time' },
  duration: { index: 'calls_duration', column: 'c.duration' },
  postDialDelay: { index: 'calls_pdd', column: 'c.pdd' },
  messages: { index: 'calls_message_count', column: 'c.message_count' },
  caller: { index: 'calls_caller', column: 'c.caller COLLATE NOCASE' },
  callee: { index: 'calls_callee', column: 'c.callee COLLATE NOCASE' },
  outcome: { index: 'calls_outcome_order', column: 'c.outcome' },
  finalStatus: { index: 'calls_final_status_order', column: 'c.final_status' },
};

/** ORDER BY of a sort: calls without a value last either way, ties in capture order in the same direction. */
function orderBy(sort: CallSortKey, descending: boolean): string {
  const direction = descending ? 'DESC' : 'ASC';
  return `ORDER BY ${SORT_INDEXES[sort].column} ${direction} NULLS LAST, c.idx ${direction}`;
}

function where(tests: Sql[]): Sql {
  return { text: tests.map((t) => `AND ${t.text}`).join(' '), params: tests.flatMap((t) => t.params) };
}

/** A set with the number of calls it keeps. */
export interface CountedSet {
  set: CallSet;
  size: number;
}

/** Sets ordered by size, smallest first. */
function bySize(sets: CountedSet[]): CountedSet[] {
  return [...sets].sort((a, b) => a.size - b.size);
}

/**
 * The count of calls matching every condition, when it takes a query: driven by the smallest
 * set (or the capture's calls when there is none), the other conditions tested on each of its
 * calls. Null when it is known already: the size of the one set.
 */
export function countQuery(captureId: number, sets: CountedSet[], rowTests: Sql[]): Sql | null {
  const [driver, ...others] = bySize(sets);
  if (driver === undefined) {
    const w = where(rowTests);
    return { text: `SELECT count(*) FROM calls c WHERE c.capture_id = ? ${w.text}`, params: [captureId, ...w.params] };
  }
  if (others.length === 0 && rowTests.length === 0) return null;
  const tests = others.map((o) => o.set.test(driver.size, o.size));
  const w = where([...rowTests, ...tests.map((t) => t.sql)]);
  // Tags and listed texts test the key alone: the calls rows are read only when a test needs them.
  const from: Sql = rowTests.length > 0 || tests.some((t) => t.readsRow)
    ? { text: `(${driver.set.rows.text}) d CROSS JOIN calls c ON c.capture_id = ? AND c.idx = d.idx`, params: [...driver.set.rows.params, captureId] }
    : { text: `(${driver.set.rows.text}) c`, params: driver.set.rows.params };
  return { text: `SELECT count(*) FROM ${from.text} WHERE 1 ${w.text}`, params: [...from.params, ...w.params] };
}

export interface PageRequest {
  sort: CallSortKey;
  descending: boolean;
  offset: number;
  /** null: every call from `offset` on. */
  limit: number | null;
}

interface Plan {
  cost: number;
  sql: Sql;
}

/**
 * Walking `index` (in the page's order) over the calls of `bound` (a set whose own index it
 * is) or of the whole capture, testing every other condition.
 */
function walkPlan(captureId: number, index: string, bound: CountedSet | null, sets: CountedSet[], rowTests: Sql[], total: number, callCount: number, page: PageRequest): Plan {
  const scope = bound?.size ?? callCount;
  const wanted = page.limit === null ? total : Math.min(total, page.offset + page.limit);
  // At worst every call of the scope that does not match comes before the page.
  const steps = Math.min(scope, scope - total + wanted);
  const others = sets.filter((s) => s !== bound);
  const tests = others.map((s) => s.set.test(steps, s.size));
  const readsRow = rowTests.length > 0 || tests.some((t) => t.readsRow);
  const w = where([...(bound ? [bound.set.test(0, bound.size).sql] : []), ...rowTests, ...tests.map((t) => t.sql)]);
  return {
    cost: steps * (COST.indexStep + (readsRow ? COST.lookup : 0)) + tests.reduce((sum, t) => sum + t.cost, 0),
    sql: {
      text: `SELECT c.idx FROM calls c INDEXED BY ${index} WHERE c.capture_id = ? ${w.text} ${orderBy(page.sort, page.descending)} LIMIT ? OFFSET ?`,
      params: [captureId, ...w.params, page.limit ?? -1, page.offset],
    },
  };
}

/**
 * Gathering every call of the smallest set, testing and sorting them; with no set, reading
 * every call of the capture in key order and sorting those that match.
 */
function gatherPlan(captureId: number, sets: CountedSet[], rowTests: Sql[], total: number, callCount: number, page: PageRequest): Plan {
  const [driver, ...others] = bySize(sets);
  const order = orderBy(page.sort, page.descending);
  const limit = [page.limit ?? -1, page.offset];
  if (driver === undefined) {
    const w = where(rowTests);
    // "+" keeps SQLite from following the sort index instead.
    return {
      cost: callCount * COST.scanned + total * COST.sorted,
      sql: {
        text: `SELECT c.idx FROM calls c WHERE c.capture_id = ? ${w.text} ${order.replace('ORDER BY ', 'ORDER BY +')} LIMIT ? OFFSET ?`,
        params: [captureId, ...w.params, ...limit],
      },
    };
  }
  const tests = others.map((o) => o.set.test(driver.size, o.size));
  const w = where([...rowTests, ...tests.map((t) => t.sql)]);
  return {
    cost: driver.size * (COST.lookup + COST.sorted) + tests.reduce((sum, t) => sum + t.cost, 0),
    sql: {
      text: `SELECT c.idx FROM (${driver.set.rows.text}) d CROSS JOIN calls c ON c.capture_id = ? AND c.idx = d.idx WHERE 1 ${w.text} ${order} LIMIT ? OFFSET ?`,
      params: [...driver.set.rows.params, captureId, ...w.params, ...limit],
    },
  };
}

/**
 * The query listing the idx of one page of matching calls, `total` of the capture's
 * `callCount` matching: walking the sort index, walking the index of a set that lists its
 * calls in the sort order, or gathering the smallest set, whichever costs least.
 */
export function pageQuery(captureId: number, sets: CountedSet[], rowTests: Sql[], total: number, callCount: number, page: PageRequest): Sql {
  const plans = [
    walkPlan(captureId, SORT_INDEXES[page.sort].index, null, sets, rowTests, total, callCount, page),
    ...sets.filter((s) => s.set.orderedBy?.sort === page.sort)
      .map((s) => walkPlan(captureId, s.set.orderedBy!.index, s, sets, rowTests, total, callCount, page)),
    gatherPlan(captureId, sets, rowTests, total, callCount, page),
  ];
  return plans.reduce((best, plan) => (plan.cost < best.cost ? plan : best)).sql;
}
