// Calls: everything with one Call-ID, summarised as the corpus README defines it (kind,
// outcome, final status, who hung up, timings, media).
import type { Call, CallKind, CallOutcome, CallParty, SdpMedia } from '../model.js';
import { callMessages, sized } from './lists.js';
import { NONE, type MessageLog } from './message-log.js';
import type { CallState, DialogState, TxnState } from './state.js';
import { isTimedOut } from './transactions.js';

const KIND_OF_METHOD: Record<string, CallKind> = {
  INVITE: 'call',
  REGISTER: 'registration',
  SUBSCRIBE: 'subscription',
  MESSAGE: 'message',
  OPTIONS: 'options',
  PUBLISH: 'publish',
};

/** The kind from the first request; `mid-dialog` when that request already carries a To tag (the capture joined an existing dialog). */
export function callKind(call: CallState): CallKind {
  if (call.openingMethod === null) return 'other';
  if (call.toTag !== NONE) return 'mid-dialog';
  return KIND_OF_METHOD[call.openingMethod] ?? 'other';
}

/** The user part of a SIP / SIPS / tel URI: "alice" of sip:alice@example.com, "+4912345" of tel:+4912345;phone-context=... */
export function uriUser(uri: string | null): string | null {
  if (uri === null) return null;
  const colon = uri.indexOf(':');
  if (colon < 0) return null;
  const rest = uri.slice(colon + 1);
  if (uri.slice(0, colon).toLowerCase() === 'tel') return rest.split(';')[0] || null;
  const at = rest.indexOf('@');
  if (at <= 0) return null;
  const user = rest.slice(0, at);
  const semi = user.indexOf(';');
  return semi >= 0 ? user.slice(0, semi) : user;
}

function party(uri: string | null, display: string | null): CallParty {
  return { uri, user: uriUser(uri), display };
}

/** The INVITEs sent outside a dialog: the first attempt and its retries (after 401 / 407 / 503 ...). */
export function initialInvites(txns: readonly TxnState[]): TxnState[] {
  return txns.filter((t) => t.method === 'INVITE' && !t.inDialog);
}

/** The initial INVITE that got a 2xx, if one did. */
function answeredInvite(initial: readonly TxnState[]): TxnState | null {
  return initial.find((t) => t.finalStatus !== null && t.finalStatus < 300) ?? null;
}

function firstBye(txns: readonly TxnState[]): TxnState | null {
  return txns.find((t) => t.method === 'BYE') ?? null;
}

interface Conclusion {
  outcome: CallOutcome | null;
  decidedBy: TxnState | null;
}

/**
 * The outcome of an INVITE call: that of the last INVITE sent outside a dialog, except that
 * an answered attempt makes the call completed (BYE seen) or answered.
 */
function inviteOutcome(txns: readonly TxnState[], initial: readonly TxnState[], log: MessageLog, end: number): Conclusion {
  if (initial.length === 0) return { outcome: null, decidedBy: null };
  const answered = answeredInvite(initial);
  if (answered !== null) return { outcome: firstBye(txns) !== null ? 'completed' : 'answered', decidedBy: answered };
  const last = initial[initial.length - 1]!;
  const status = last.finalStatus;
  if (status === null) return { outcome: isTimedOut(last, log, end) ? 'no-final-response' : 'pending', decidedBy: last };
  if (status === 487 && txns.some((t) => t.method === 'CANCEL')) return { outcome: 'cancelled', decidedBy: last };
  if (status === 486 || status === 600) return { outcome: 'busy', decidedBy: last };
  if (status < 400) return { outcome: 'redirected', decidedBy: last };
  if (status < 500 || status >= 600) return { outcome: 'rejected', decidedBy: last };
  return { outcome: 'failed', decidedBy: last };
}

/** Other kinds: the last request of the first request's method sent outside a dialog decides. */
function otherOutcome(txns: readonly TxnState[], log: MessageLog, end: number): Conclusion {
  const first = txns[0];
  if (first === undefined) return { outcome: null, decidedBy: null };
  let last = first;
  for (const t of txns) if (t.method === first.method && !t.inDialog) last = t;
  const status = last.finalStatus;
  if (status === null) return { outcome: isTimedOut(last, log, end) ? 'no-final-response' : 'pending', decidedBy: last };
  return { outcome: status < 300 ? 'success' : 'failed', decidedBy: last };
}

/** Seconds from a to b, to the microsecond. */
function span(log: MessageLog, a: number, b: number): number {
  return Math.round((log.time(b) - log.time(a)) * 1e6) / 1e6;
}

/** First 180 / 183 of any initial INVITE of the call. */
export function firstAlerting(initial: readonly TxnState[], log: MessageLog): number | null {
  let best: number | null = null;
  for (const t of initial) {
    if (t.firstAlerting !== null && (best === null || log.time(t.firstAlerting) < log.time(best))) best = t.firstAlerting;
  }
  return best;
}

/** The "ip:port" of every sender and receiver of the call's messages, in order of appearance. */
function endpoints(messages: readonly number[], log: MessageLog): string[] {
  // a call has a few endpoints: a scan of those seen beats a set
  const seen: number[] = [];
  for (const id of messages) {
    const src = log.srcNumber(id);
    const dst = log.dstNumber(id);
    if (!seen.includes(src)) seen.push(src);
    if (!seen.includes(dst)) seen.push(dst);
  }
  return seen.map((n) => log.endpoint(n));
}

/** The latest media of every sender, in one list. */
function allMedia(call: CallState): SdpMedia[] {
  const senders = call.mediaLatest ?? [];
  let n = 0;
  for (const latest of senders) n += latest.length;
  const media = sized<SdpMedia>(n);
  let i = 0;
  for (const latest of senders) for (const m of latest) media[i++] = m;
  return media;
}

/** The call as the model reports it; anomalies and legs are filled in later. */
export function toCall(call: CallState, txns: readonly TxnState[], dialogs: readonly DialogState[], log: MessageLog, end: number): Call {
  const kind = callKind(call);
  const initial = kind === 'call' ? initialInvites(txns) : [];
  const conclusion: Conclusion =
    kind === 'mid-dialog' ? { outcome: null, decidedBy: null } : kind === 'call' ? inviteOutcome(txns, initial, log, end) : otherOutcome(txns, log, end);
  const decided = conclusion.decidedBy;

  const dialled = initial.length > 0 ? initial[0]!.firstRequest : null;
  const answered = kind === 'call' ? answeredInvite(initial) : null;
  const answer = answered?.firstSuccess ?? null;
  const bye = kind === 'call' ? firstBye(txns) : null;
  const alerting = kind === 'call' ? firstAlerting(initial, log) : null;

  let endedBy: Call['endedBy'] = null;
  let endTime: string | null = null;
  let duration: number | null = null;
  if (conclusion.outcome === 'completed' && bye !== null) {
    endedBy = bye.fromTag === call.fromTag ? 'caller' : 'callee';
    endTime = log.timeText(bye.firstRequest);
    duration = answer === null ? null : span(log, answer, bye.firstRequest);
  } else if (conclusion.outcome === 'answered' && answer !== null) {
    duration = span(log, answer, call.lastMessage);
  } else if (decided !== null && decided.final !== null) {
    endTime = log.timeText(decided.final);
  }

  const messages = callMessages(call, log);
  return {
    callId: call.callId,
    kind,
    firstRequest: call.openingMethod ?? '',
    caller: party(call.fromUri, call.fromDisplay),
    callee: party(call.toUri, call.toDisplay),
    outcome: conclusion.outcome,
    finalStatus: decided?.finalStatus ?? null,
    finalReason: decided?.finalReason ?? null,
    endedBy,
    startTime: log.timeText(call.firstMessage),
    answerTime: answer === null ? null : log.timeText(answer),
    endTime,
    lastTime: log.timeText(call.lastMessage),
    postDialDelay: dialled !== null && alerting !== null ? span(log, dialled, alerting) : null,
    setupTime: dialled !== null && answer !== null ? span(log, dialled, answer) : null,
    duration,
    messages,
    transactions: txns.map((t) => t.id),
    dialogs: dialogs.map((d) => d.id),
    endpoints: endpoints(messages, log),
    media: allMedia(call),
    onHold: call.onHold,
    anomalies: [],
    legs: [],
  };
}
