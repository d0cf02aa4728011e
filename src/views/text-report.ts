// The CLI's human output (`sipladder analyze FILE`): a summary, the calls table, the
// registrations table, then every anomaly with its explanation, reference and messages.
// Plain text in aligned columns that fits a 100-column terminal.
import type { Anomaly, Call, CaptureFormat, DecodeWarning, Registration, Severity, StreamedAnalysis, Timestamp } from '../model.js';
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
  analysis: StreamedAnalysis;
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
  const calls = analysis.calls.filter((c) => c.kind === 'call');
  const outcomes = Object.entries(analysis.stats.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
  const registered = analysis.registrations.filter((r) => r.outcome === 'registered').length;
  const linkTypes = file.linkTypes.map((t) => `${LINK_TYPE_NAMES[t] ?? 'link type'} (${t})`).join(', ') || 'none';
  const rows: [string, string][] = [
    ['File', `${file.name}: ${file.format}, ${linkTypes}, ${plural(file.packets, 'packet')}, ${humanBytes(file.bytes)}`],
  ];
  const times = captureSpan(input);
  if (times !== null) rows.push(['Capture', `${dateTime(times[0])} to ${clock(times[1])} UTC (${duration(Number(times[1]) - Number(times[0]))})`]);
  rows.push(['Messages', `${plural(messageCount, 'SIP message')}, ${plural(analysis.stats.retransmissions, 'retransmission')}, ${plural(analysis.transactions.length, 'transaction')}, ${plural(analysis.dialogs.length, 'dialog')}`]);
  rows.push(['Calls', `${plural(calls.length, 'call')}${outcomes ? ` (${outcomes})` : ''}${analysis.stats.asr === null ? '' : `, ASR ${(analysis.stats.asr * 100).toFixed(1)}%`}`]);
  const others = analysis.calls.length - calls.length - analysis.calls.filter((c) => c.kind === 'registration').length;
  if (others > 0) rows.push(['Other', plural(others, 'Call-ID') + ' without INVITE (OPTIONS, MESSAGE, SUBSCRIBE, ...)']);
  rows.push(['Registrations', `${analysis.registrations.length}${analysis.registrations.length ? ` (${registered} registered at the end)` : ''}`]);
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
  const calls = input.analysis.calls;
  if (calls.length === 0) return null;
  let first = calls[0]!.startTime;
  let last = calls[0]!.lastTime;
  for (const c of calls) {
    if (Number(c.startTime) < Number(first)) first = c.startTime;
    if (Number(c.lastTime) > Number(last)) last = c.lastTime;
  }
  return [first, last];
}

function callsTable(analysis: StreamedAnalysis): string[] {
  const calls = analysis.calls.filter((c) => c.kind !== 'registration');
  if (calls.length === 0) return [];
  const shown = calls.slice(0, MAX_ROWS);
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
  if (calls.length > shown.length) lines.push(`... ${plural(calls.length - shown.length, 'more call')} (--json lists them all)`);
  return lines;
}

function registrationText(r: Registration): string {
  const status = r.finalStatus === null ? '' : ` ${r.finalStatus}`;
  const expires = r.expires !== null && r.outcome === 'registered' ? `, ${r.expires} s` : '';
  return `${r.outcome}${status}${expires}`;
}

function registrationsTable(analysis: StreamedAnalysis, callsById: ReadonlyMap<string, Call>): string[] {
  const regs = analysis.registrations;
  if (regs.length === 0) return [];
  const shown = regs.slice(0, MAX_ROWS);
  const rows = shown.map((r) => {
    const call = callsById.get(r.callId);
    return [call ? clock(call.startTime) : '', r.aor ?? '?', registrationText(r), String(r.attempts.length), String(r.challenges)];
  });
  const header = ['Start', 'Address of record', 'Outcome', 'Attempts', 'Challenges'];
  let others = 2 * (header.length - 1);
  for (let i = 0; i < header.length; i++) if (i !== 1) others += Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length));
  for (const r of rows) r[1] = truncate(r[1]!, Math.max(20, WIDTH - others));
  const lines = ['REGISTRATIONS', ...table(header, rows, new Set([3, 4]))];
  if (regs.length > shown.length) lines.push(`... ${plural(regs.length - shown.length, 'more registration')} (--json lists them all)`);
  return lines;
}

/** "#3 15:02:32.227 200 OK 127.0.0.1:15100 -> 127.0.0.1:15101" when the messages are at hand, else "#3". */
function messageLine(id: number, messages: ReportedMessages | number): string {
  const m = typeof messages === 'number' ? null : messages.digest(id);
  return m === null ? `#${id}` : `#${id} ${clock(m.time)} ${m.what} ${m.src} -> ${m.dst}`;
}

function anomalySection(analysis: StreamedAnalysis, messages: ReportedMessages | number): string[] {
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
  const callsById = new Map(analysis.calls.map((c) => [c.callId, c]));
  const sections = [summary(input), callsTable(analysis), registrationsTable(analysis, callsById), anomalySection(analysis, input.messages)].filter((s) => s.length > 0);
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
