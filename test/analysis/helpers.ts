// Building test inputs from real corpus messages: load a capture's messages, then change
// them minimally (drop one, move one in time, alter a field, add a copy). Message ids stay
// those of messages.json, so a test names messages as expected.json does; an added message
// takes the next free id.
import { readFileSync } from 'node:fs';
import type { Analysis, SdpSummary, SipMessage, Timestamp } from '../../src/model.js';
import { analyzeMessages, CallEndScanner, type AnalyzerOptions, type CallEnds } from '../../src/analysis/index.js';
import { loadCorpusMessages } from './corpus-messages.js';

export interface Capture {
  messages: SipMessage[];
  end: Timestamp;
}

/** A fresh copy of a corpus capture's messages (tests may change them freely). */
export function corpus(name: string): Capture {
  const { messages, captureEnd } = loadCorpusMessages(name);
  return { messages, end: captureEnd };
}

const SDP = JSON.parse(readFileSync(new URL('../fixtures/analysis/sdp.json', import.meta.url), 'utf8')) as Record<string, Record<string, SdpSummary>>;

/** A corpus capture with the SDP bodies tshark read from the same capture (fixtures/analysis/sdp.json). */
export function corpusWithSdp(name: string): Capture {
  const c = corpus(name);
  const bodies = SDP[name]!;
  for (const m of c.messages) m.sdp = bodies[String(m.id)] ?? null;
  return c;
}

export function analyze(c: Capture, options?: AnalyzerOptions): Analysis {
  return analyzeMessages(c.messages, c.end, options);
}

/** A timestamp moved by `seconds` (may be negative), nanosecond-exact. */
export function shift(ts: Timestamp, seconds: number): Timestamp {
  const total = BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec) + BigInt(Math.round(seconds * 1e9));
  return { sec: Number(total / 1_000_000_000n), nsec: Number(total % 1_000_000_000n), digits: ts.digits };
}

function timeText(ts: Timestamp): string {
  return `${ts.sec}.${String(ts.nsec).padStart(9, '0')}`;
}

/** The message moved in time by `seconds`. */
export function moved(m: SipMessage, seconds: number): SipMessage {
  const ts = shift(m.ts, seconds);
  return { ...m, ts, time: timeText(ts) };
}

/** The capture without the given messages (the others keep their ids). */
export function without(c: Capture, ...ids: number[]): Capture {
  return { messages: c.messages.filter((m) => !ids.includes(m.id)), end: c.end };
}

/** The capture cut after message `lastId`: its end is that message's time. */
export function cutAfter(c: Capture, lastId: number): Capture {
  const kept = c.messages.filter((m) => m.id <= lastId);
  return { messages: kept, end: kept[kept.length - 1]!.ts };
}

/** The capture with one message changed. */
export function edit(c: Capture, id: number, patch: Partial<SipMessage>): Capture {
  return { messages: c.messages.map((m) => (m.id === id ? { ...m, ...patch } : m)), end: c.end };
}

/**
 * The capture with a new message, a copy of `id` with `patch`, placed `afterSeconds` after it
 * in capture order (after every message up to that time). Returns the new message's id too.
 */
export function added(c: Capture, id: number, afterSeconds: number, patch: Partial<SipMessage> = {}): { capture: Capture; id: number } {
  const source = c.messages.find((m) => m.id === id)!;
  const newId = Math.max(...c.messages.map((m) => m.id)) + 1;
  const copy: SipMessage = { ...moved(source, afterSeconds), ...patch, id: newId };
  const at = (m: SipMessage) => m.ts.sec + m.ts.nsec / 1e9;
  const messages = [...c.messages];
  let index = messages.findIndex((m) => at(m) > at(copy));
  if (index < 0) index = messages.length;
  messages.splice(index, 0, copy);
  const end = at(copy) > c.end.sec + c.end.nsec / 1e9 ? copy.ts : c.end;
  return { capture: { messages, end }, id: newId };
}

/** The capture with its end moved `seconds` later (the capture ran on with no SIP). */
export function runOn(c: Capture, seconds: number): Capture {
  return { messages: c.messages, end: shift(c.end, seconds) };
}

/** The anomalies of a kind, as [callId, messages] pairs. */
export function kinds(a: Analysis, kind: string): { callId: string | null; messages: number[] }[] {
  return a.anomalies.filter((x) => x.kind === kind).map((x) => ({ callId: x.callId, messages: x.messages }));
}

/** The transaction containing a message (request, response or ACK). */
export function txnOf(a: Analysis, id: number) {
  return a.transactions.find((t) => t.requests.includes(id) || t.responses.includes(id) || t.ack.includes(id)) ?? null;
}

/** A first pass over the messages: where each call ends (CallEndScanner), for analysers that settle calls early. */
export function callEndsOf(messages: readonly SipMessage[], end: Timestamp | null): CallEnds {
  const scanner = new CallEndScanner();
  for (const m of messages) scanner.add(m);
  return scanner.result(end);
}
