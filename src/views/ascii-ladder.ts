// The ladder as plain text, for tickets and mails (what sngrep's and `tshark -z sip,...` flows
// give): one column per lane, one row per message with its time on the left, and a comment
// column on the right (retransmission copy, anomalies, SDP) so the arrows stay short.
//
//   Call-ID: a84b4c76e66710
//   Date (UTC): 2026-11-26
//                    127.0.0.1:5061        127.0.0.1:5060
//                      alice-phone             pbx
//   12:00:00.000000          |------INVITE------->|      audio 127.0.0.1:6000 PCMU sendrecv
//   12:00:00.000212          |<----100 Trying-----|
import type { LadderArrow, LadderModel } from '../model.js';

export interface AsciiLadderOptions {
  /** 'absolute': UTC time of day (the date in the header); 'relative': seconds since the first message; 'delta': since the previous one. */
  time?: 'absolute' | 'relative' | 'delta';
}

/** Distance between two adjacent lane lines: room for the longest label and its arrow tips, within bounds. */
const MIN_SPACING = 16;
const MAX_SPACING = 36;

/** "HH:MM:SS.ffffff" (UTC) from an epoch decimal string, without going through a double. */
function timeOfDay(time: string): string {
  const [whole, fraction = ''] = time.split('.');
  const date = new Date(Number(whole) * 1000);
  const hms = date.toISOString().slice(11, 19);
  return fraction ? `${hms}.${fraction.slice(0, 6).padEnd(6, '0')}` : hms;
}

function dateOf(time: string): string {
  return new Date(Number(time.split('.')[0]) * 1000).toISOString().slice(0, 10);
}

function timeColumn(arrow: LadderArrow, mode: NonNullable<AsciiLadderOptions['time']>): string {
  if (mode === 'absolute') return timeOfDay(arrow.time);
  if (mode === 'relative') return arrow.offset.toFixed(6);
  return `+${arrow.delta.toFixed(6)}`;
}

/** Cuts text to `width` characters, marking the cut with "~" (plain ASCII, safe in any ticket system). */
function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}

function centred(text: string, width: number): string {
  const t = fit(text, width);
  const left = Math.floor((width - t.length) / 2);
  return ' '.repeat(left) + t + ' '.repeat(width - t.length - left);
}

/** The comment column of one arrow: retransmission copy, anomaly marks, SDP summary. */
function commentOf(arrow: LadderArrow, anomalyTitles: Map<number, string>): string {
  const parts: string[] = [];
  if (arrow.copy > 1) parts.push(`retransmission #${arrow.copy - 1}`);
  for (const id of arrow.anomalies) parts.push(`! ${anomalyTitles.get(id) ?? `anomaly ${id}`}`);
  if (arrow.sdp) parts.push(`SDP ${arrow.sdp}`);
  return parts.join('; ');
}

/** Writes `text` into `row` starting at column `at`. */
function put(row: string[], at: number, text: string): void {
  for (let i = 0; i < text.length; i++) row[at + i] = text[i];
}

/** The arrow's shaft with its label centred in it, e.g. "----INVITE---->" (length = `length`). */
function shaft(label: string, length: number, rightward: boolean): string {
  const inner = length - 1; // one character for the head
  const text = fit(` ${label} `, Math.max(0, inner - 2));
  const left = Math.floor((inner - text.length) / 2);
  const body = '-'.repeat(left) + text + '-'.repeat(inner - text.length - left);
  return rightward ? `${body}>` : `<${body}`;
}

export function renderAsciiLadder(model: LadderModel, options: AsciiLadderOptions = {}): string {
  const mode = options.time ?? 'relative';
  const lines: string[] = [];
  for (const callId of model.callIds) lines.push(`Call-ID: ${callId}`);
  if (mode === 'absolute' && model.arrows.length > 0) lines.push(`Date (UTC): ${dateOf(model.arrows[0].time)}`);
  lines.push('');

  const longestLabel = Math.max(0, ...model.arrows.map((a) => a.label.length));
  const spacing = Math.min(MAX_SPACING, Math.max(MIN_SPACING, longestLabel + 6));
  const times = model.arrows.map((a) => timeColumn(a, mode));
  const timeWidth = Math.max(4, ...times.map((t) => t.length));
  const firstLane = timeWidth + 2 + Math.floor(spacing / 2);
  const laneX = new Map(model.lanes.map((lane, i) => [lane.id, firstLane + i * spacing]));
  const width = firstLane + (model.lanes.length - 1) * spacing + Math.ceil(spacing / 2);

  const headerRow = (text: (i: number) => string): string => {
    let row = ' '.repeat(timeWidth + 2);
    model.lanes.forEach((_, i) => (row += centred(text(i), spacing - 1) + ' '));
    return row.trimEnd();
  };
  lines.push(headerRow((i) => model.lanes[i].label));
  if (model.lanes.some((lane) => lane.label !== lane.address)) lines.push(headerRow((i) => model.lanes[i].address));
  if (model.lanes.some((lane) => lane.userAgent)) lines.push(headerRow((i) => model.lanes[i].userAgent ?? ''));

  const anomalyTitles = new Map(model.anomalies.map((a) => [a.id, a.title]));
  const emptyRow = (): string[] => {
    const row = new Array<string>(width).fill(' ');
    for (const x of laneX.values()) row[x] = '|';
    return row;
  };
  model.arrows.forEach((arrow, i) => {
    const row = emptyRow();
    put(row, 0, times[i].padStart(timeWidth));
    const from = laneX.get(arrow.from) ?? firstLane;
    const to = laneX.get(arrow.to) ?? firstLane;
    if (from === to) {
      put(row, from + 1, `<> ${fit(arrow.label, spacing - 4)}`);
    } else if (from < to) {
      put(row, from + 1, shaft(arrow.label, to - from - 1, true));
    } else {
      put(row, to + 1, shaft(arrow.label, from - to - 1, false));
    }
    const comment = commentOf(arrow, anomalyTitles);
    lines.push((row.join('') + (comment ? `  ${comment}` : '')).trimEnd());
  });

  if (model.anomalies.length > 0) {
    lines.push('', 'Anomalies:');
    for (const a of model.anomalies) {
      lines.push(`! [${a.severity}] ${a.title} (${a.kind}, ${a.reference})`, `  ${a.explanation}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
