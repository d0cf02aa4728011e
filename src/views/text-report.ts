// The CLI's human output (`sipladder analyze FILE`): a summary, the calls table, the
// registrations table, then every anomaly with its explanation, reference and messages.
// Plain text in aligned columns that fits a 100-column terminal. It lists a few hundred calls
// and counts the rest, so it is fed by a sink of its own (ReportCollector) that keeps only
// that: each settled call's transactions, dialogs and record go as soon as they are counted.
import { renumberAnomalies, type AnalysisEnd, type AnalysisSink, type CallResult } from '../analysis/sink.js';
import type { Anomaly, Call, CaptureFormat, DecodeWarning, Registration, Severity, SipStats, Timestamp } from '../model.js';
import type { ReportedMessages } from './message-digests.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_BSD_12, LINKTYPE_RAW_BSD_14,
} from '../net/constants.js';

export interface TextReportInput {
  file: { name: string; format: CaptureFormat; linkTypes: number[]; packets: number; bytes: number };
  warnings: DecodeWarning[];
  /** The decoded messages (times and labels are shown for the anomalies' messages), or only their number. */
  messages: ReportedMessages | number;
  analysis: ReportedAnalysis;
}

/** What the report says of the analysis (ReportCollector.report()). */
export interface ReportedAnalysis {
  transactions: number;
  dialogs: number;
  /** Calls of kind 'call', and of any kind but 'call' and 'registration'. */
  calls: number;
  otherCalls: number;
  /** The first calls that are not registrations, in call order, with their anomaly ids (at most the collector's row limit). */
  listedCalls: Call[];
  registrations: number;
  /** Registrations whose outcome is 'registered'. */
  registered: number;
  /** The first registrations, in call order, each with its call's start time. */
  listedRegistrations: { registration: Registration; start: string }[];
  /** Every anomaly, by its final id. */
  anomalies: Anomaly[];
  stats: SipStats;
  /** The earliest call start and the latest last message time of the calls, else null. */
  callSpan: [string, string] | null;
}

const WIDTH = 100;
/** Rows listed per table and anomalies written out in full; the rest is counted (--json has everything). */
const MAX_ROWS = 500;
const MAX_ANOMALIES = 200;
/** Decode warnings quoted in the summary. */
const MAX_WARNINGS = 5;

const LINK_TYPE_NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: 'BSD loopback',
  [LINKTYPE_ETHERNET]: 'Ethernet',
  [LINKTYPE_RAW_BSD_12]: 'raw IP',
  [LINKTYPE_RAW_BSD_14]: 'raw IP',
  [LINKTYPE_RAW]: 'raw IP',
  [LINKTYPE_LOOP]: 'OpenBSD loopback',
  [LINKTYPE_LINUX_SLL]: 'Linux cooked',
  [LINKTYPE_IPV4]: 'raw IPv4',
  [LINKTYPE_IPV6]: 'raw IPv6',
  [LINKTYPE_LINUX_SLL2]: 'Linux cooked v2',
};

const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'info'];

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Epoch seconds as text ("1795532484.343801646") -> a Timestamp, without floating point. */
function parseEpoch(text: string): Timestamp {
  const [whole, frac = ''] = text.split('.');
  return { sec: Number(whole), nsec: Number((frac + '000000000').slice(0, 9)), digits: frac.length };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** "15:02:32.227" (UTC). */
function clock(text: string): string {
  const ts = parseEpoch(text);
  const s = ts.sec % 86400;
  return `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}.${String(Math.floor(ts.nsec / 1e6)).padStart(3, '0')}`;
}

/** "2026-11-24 15:01:24.343". */
function dateTime(text: string): string {
  return `${new Date(parseEpoch(text).sec * 1000).toISOString().slice(0, 10)} ${clock(text)}`;
}

/** A duration: "0.203 s", "12.4 s", "3m 05s", "2h 03m". */
function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 10) return `${seconds.toFixed(3)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${pad2(whole % 60)}s`;
  return `${Math.floor(whole / 3600)}h ${pad2(Math.floor((whole % 3600) / 60))}m`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}

/** Lays rows out in columns: the last column takes what is left of the width. */
function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Wraps a paragraph at the report's width with a hanging indent. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let current = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current.length > indent.length && current.length + 1 + word.length > WIDTH) {
      lines.push(current);
      current = indent;
    }
    current += current.length > indent.length ? ` ${word}` : word;
  }
  if (current.length > indent.length) lines.push(current);
  return lines;
}

function partyName(p: Call['caller']): string {
  return p.user ?? p.uri ?? '?';
}

function outcomeText(call: Call): string {
  const code = call.finalStatus === null ? '' : ` ${call.finalStatus}`;
  const prefix = call.kind === 'call' || call.kind === 'mid-dialog' ? '' : `${call.firstRequest} `;
  const outcome = call.outcome ?? (call.kind === 'mid-dialog' ? 'mid-dialog' : '-');
  const ended = call.endedBy === 'callee' ? ', callee hung up' : '';
  const hold = call.onHold ? ', held' : '';
  return `${prefix}${outcome}${code}${ended}${hold}`;
}

function summary(input: TextReportInput): string[] {
  const { file, analysis, warnings } = input;
  const messageCount = typeof input.messages === 'number' ? input.messages : input.messages.count;
  const bySeverity = new Map<Severity, number>();
  for (const a of analysis.anomalies) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
  const outcomes = Object.entries(analysis.stats.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
  const linkTypes = file.linkTypes.map((t) => `${LINK_TYPE_NAMES[t] ?? 'link type'} (${t})`).join(', ') || 'none';
  const rows: [string, string][] = [
    ['File', `${file.name}: ${file.format}, ${linkTypes}, ${plural(file.packets, 'packet')}, ${humanBytes(file.bytes)}`],
  ];
  const times = captureSpan(input);
  if (times !== null) rows.push(['Capture', `${dateTime(times[0])} to ${clock(times[1])} UTC (${duration(Number(times[1]) - Number(times[0]))})`]);
  rows.push(['Messages', `${plural(messageCount, 'SIP message')}, ${plural(analysis.stats.retransmissions, 'retransmission')}, ${plural(analysis.transactions, 'transaction')}, ${plural(analysis.dialogs, 'dialog')}`]);
  rows.push(['Calls', `${plural(analysis.calls, 'call')}${outcomes ? ` (${outcomes})` : ''}${analysis.stats.asr === null ? '' : `, ASR ${(analysis.stats.asr * 100).toFixed(1)}%`}`]);
  if (analysis.otherCalls > 0) rows.push(['Other', plural(analysis.otherCalls, 'Call-ID') + ' without INVITE (OPTIONS, MESSAGE, SUBSCRIBE, ...)']);
  rows.push(['Registrations', `${analysis.registrations}${analysis.registrations ? ` (${analysis.registered} registered at the end)` : ''}`]);
  rows.push(['Anomalies', SEVERITY_ORDER.map((s) => plural(bySeverity.get(s) ?? 0, s === 'info' ? 'note' : s)).join(', ')]);
  if (warnings.length > 0) rows.push(['Decoding', `${plural(warnings.length, 'warning')}`]);
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.flatMap(([label, value]) => wrap(value, ' '.repeat(labelWidth + 2)).map((l, i) => (i === 0 ? `${label.padEnd(labelWidth)}  ${l.trimStart()}` : l)));
  for (const w of warnings.slice(0, MAX_WARNINGS)) {
    lines.push(...wrap(`${w.packet === null ? '' : `packet ${w.packet}: `}${w.message}`, ' '.repeat(labelWidth + 4)));
  }
  if (warnings.length > MAX_WARNINGS) lines.push(`${' '.repeat(labelWidth + 4)}... ${warnings.length - MAX_WARNINGS} more`);
  return lines;
}

/** First and last message time, from the messages or else from the calls. */
function captureSpan(input: TextReportInput): [string, string] | null {
  if (typeof input.messages !== 'number') {
    const first = input.messages.digest(0);
    const last = input.messages.digest(input.messages.count - 1);
    return first === null || last === null ? null : [first.time, last.time];
  }
  return input.analysis.callSpan;
}

function callsTable(analysis: ReportedAnalysis): string[] {
  const count = analysis.calls + analysis.otherCalls;
  if (count === 0) return [];
  const shown = analysis.listedCalls;
  const rows = shown.map((c) => [
    clock(c.startTime),
    `${partyName(c.caller)} -> ${partyName(c.callee)}`,
    outcomeText(c),
    duration(c.postDialDelay),
    duration(c.duration),
    String(c.messages.length),
    c.anomalies.length ? String(c.anomalies.length) : '',
  ]);
  // The parties column gets what the other columns and their separators leave of the width.
  const header = ['Start', 'Caller -> Callee', 'Outcome', 'PDD', 'Duration', 'Msgs', 'Anom.'];
  let others = 2 * (header.length - 1);
  for (let i = 0; i < header.length; i++) if (i !== 1) others += Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length));
  for (const r of rows) r[1] = truncate(r[1]!, Math.max(20, WIDTH - others));
  const lines = ['CALLS', ...table(header, rows, new Set([3, 4, 5]))];
  if (count > shown.length) lines.push(`... ${plural(count - shown.length, 'more call')} (--json lists them all)`);
  return lines;
}

function registrationText(r: Registration): string {
  const status = r.finalStatus === null ? '' : ` ${r.finalStatus}`;
  const expires = r.expires !== null && r.outcome === 'registered' ? `, ${r.expires} s` : '';
  return `${r.outcome}${status}${expires}`;
}

function registrationsTable(analysis: ReportedAnalysis): string[] {
  const count = analysis.registrations;
  if (count === 0) return [];
  const shown = analysis.listedRegistrations;
  const rows = shown.map(({ registration: r, start }) => [clock(start), r.aor ?? '?', registrationText(r), String(r.attempts.length), String(r.challenges)]);
  const header = ['Start', 'Address of record', 'Outcome', 'Attempts', 'Challenges'];
  let others = 2 * (header.length - 1);
  for (let i = 0; i < header.length; i++) if (i !== 1) others += Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length));
  for (const r of rows) r[1] = truncate(r[1]!, Math.max(20, WIDTH - others));
  const lines = ['REGISTRATIONS', ...table(header, rows, new Set([3, 4]))];
  if (count > shown.length) lines.push(`... ${plural(count - shown.length, 'more registration')} (--json lists them all)`);
  return lines;
}

/** "#3 15:02:32.227 200 OK 127.0.0.1:15100 -> 127.0.0.1:15101" when the messages are at hand, else "#3". */
function messageLine(id: number, messages: ReportedMessages | number): string {
  const m = typeof messages === 'number' ? null : messages.digest(id);
  return m === null ? `#${id}` : `#${id} ${clock(m.time)} ${m.what} ${m.src} -> ${m.dst}`;
}

function anomalySection(analysis: ReportedAnalysis, messages: ReportedMessages | number): string[] {
  const anomalies = [...analysis.anomalies].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.id - b.id);
  if (anomalies.length === 0) return ['ANOMALIES', 'None found.'];
  const counts = new Map<string, { severity: Severity; n: number; title: string }>();
  for (const a of anomalies) {
    const c = counts.get(a.kind) ?? { severity: a.severity, n: 0, title: a.title };
    c.n++;
    counts.set(a.kind, c);
  }
  const lines = ['ANOMALIES', ...table(['Severity', 'Kind', 'Count', 'What'], [...counts].map(([kind, c]) => [c.severity, kind, String(c.n), truncate(c.title, 40)]), new Set([2]))];
  for (const a of anomalies.slice(0, MAX_ANOMALIES)) lines.push('', ...anomalyBlock(a, messages));
  if (anomalies.length > MAX_ANOMALIES) lines.push('', `... ${plural(anomalies.length - MAX_ANOMALIES, 'more anomaly', 'more anomalies')} (--json lists them all)`);
  return lines;
}

/** Messages listed under an anomaly before the rest is counted. */
const MAX_MESSAGES_PER_ANOMALY = 6;

function anomalyBlock(a: Anomaly, messages: ReportedMessages | number): string[] {
  const lines = [`[${a.severity}] ${a.kind}: ${a.title}`];
  if (a.callId !== null) lines.push(`  Call-ID    ${a.callId}`);
  lines.push(...wrap(a.explanation, '  '));
  lines.push(`  Reference  ${a.reference}`);
  const listed = a.messages.slice(0, MAX_MESSAGES_PER_ANOMALY);
  listed.forEach((id, i) => lines.push(`  ${i === 0 ? 'Messages' : ''}`.padEnd(13) + truncate(messageLine(id, messages), WIDTH - 13)));
  if (a.messages.length > listed.length) lines.push(`${''.padEnd(13)}... ${plural(a.messages.length - listed.length, 'more message')}`);
  return lines;
}

export function renderTextReport(input: TextReportInput): string {
  const { analysis } = input;
  const sections = [summary(input), callsTable(analysis), registrationsTable(analysis), anomalySection(analysis, input.messages)].filter((s) => s.length > 0);
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}

/**
 * Inserts `item` into `listed` (ascending `index`) when it is among the `limit` lowest indexes
 * seen: calls settle in any order (a call settled at its last message comes before an older
 * one still going on), the report lists them in call order.
 */
function keepLowest<T>(listed: { index: number; item: T }[], index: number, item: T, limit: number): void {
  if (limit <= 0) return;
  if (listed.length === limit && index > listed[listed.length - 1]!.index) return;
  let at = listed.length;
  while (at > 0 && listed[at - 1]!.index > index) at--;
  listed.splice(at, 0, { index, item });
  if (listed.length > limit) listed.pop();
}

/**
 * The analysis as the text report needs it, kept as the calls settle: counts, the first
 * `rowLimit` calls and registrations, and the anomalies. Memory stays with the analysis's own
 * working state, not with every call's records (which --json keeps).
 */
export class ReportCollector implements AnalysisSink {
  private transactions = 0;
  private dialogs = 0;
  private calls = 0;
  private otherCalls = 0;
  private registrations = 0;
  private registered = 0;
  private readonly listedCalls: { index: number; item: Call }[] = [];
  private readonly listedRegistrations: { index: number; item: { registration: Registration; start: string } }[] = [];
  private readonly anomalies: Anomaly[] = [];
  private first: string | null = null;
  private last: string | null = null;
  private result: ReportedAnalysis | null = null;

  constructor(private readonly rowLimit = MAX_ROWS) {}

  call(r: CallResult): void {
    const { call } = r;
    this.transactions += r.transactions.length;
    this.dialogs += r.dialogs.length;
    if (call.kind === 'call') this.calls++;
    else if (call.kind !== 'registration') this.otherCalls++;
    if (call.kind !== 'registration') keepLowest(this.listedCalls, r.index, call, this.rowLimit);
    if (r.registration !== null) {
      this.registrations++;
      if (r.registration.outcome === 'registered') this.registered++;
      keepLowest(this.listedRegistrations, r.index, { registration: r.registration, start: call.startTime }, this.rowLimit);
    }
    if (this.first === null || Number(call.startTime) < Number(this.first)) this.first = call.startTime;
    if (this.last === null || Number(call.lastTime) > Number(this.last)) this.last = call.lastTime;
  }

  anomaly(a: Anomaly): void {
    this.anomalies[a.id] = a;
  }

  end(e: AnalysisEnd): void {
    const anomalies = renumberAnomalies(this.anomalies, e.anomalyIds);
    for (const { index, item } of this.listedCalls) item.anomalies = e.callAnomalies.get(index) ?? [];
    this.result = {
      transactions: this.transactions,
      dialogs: this.dialogs,
      calls: this.calls,
      otherCalls: this.otherCalls,
      listedCalls: this.listedCalls.map((l) => l.item),
      registrations: this.registrations,
      registered: this.registered,
      listedRegistrations: this.listedRegistrations.map((l) => l.item),
      anomalies,
      stats: e.stats,
      callSpan: this.first === null || this.last === null ? null : [this.first, this.last],
    };
  }

  report(): ReportedAnalysis {
    if (this.result === null) throw new Error('the analysis has not ended');
    return this.result;
  }
}
