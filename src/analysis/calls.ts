// Calls: everything with one Call-ID, summarised as the corpus README defines it (kind,
// outcome, final status, who hung up, timings, media).
import type { Call, CallKind, CallOutcome, CallParty, SdpMedia } from '../model.js';
import { sized, type CallWalk } from './lists.js';
import { NONE, type MessageLog } from './message-log.js';
import { BYE, CANCEL, INVITE, MESSAGE, OPTIONS, PUBLISH, REGISTER, SUBSCRIBE } from './methods.js';
import type { CallState, TxnTable } from './state.js';
import { finalStatusOf, isTimedOut } from './transactions.js';

function kindOfMethod(method: number): CallKind {
  switch (method) {
    case INVITE:
      return 'call';
    case REGISTER:
      return 'registration';
    case SUBSCRIBE:
      return 'subscription';
    case MESSAGE:
      return 'message';
    case OPTIONS:
      return 'options';
    case PUBLISH:
      return 'publish';
    default:
      return 'other';
  }
}

/** The kind from the first request; `mid-dialog` when that request already carries a To tag (the capture joined an existing dialog). */
export function callKind(call: CallState): CallKind {
  if (call.openingMethod === NONE) return 'other';
  if (call.toTag !== NONE) return 'mid-dialog';
  return kindOfMethod(call.openingMethod);
}

/** Whether uri[0, 3) is "tel" in any case (ASCII letters: no other character folds to one of them). */
function isTelScheme(uri: string): boolean {
  return (uri.charCodeAt(0) | 0x20) === 0x74 && (uri.charCodeAt(1) | 0x20) === 0x65 && (uri.charCodeAt(2) | 0x20) === 0x6c;
}

/** The user part of a SIP / SIPS / tel URI: "alice" of sip:alice@example.com, "+4912345" of tel:+4912345;phone-context=... */
export function uriUser(uri: string | null): string | null {
  if (uri === null) return null;
  const colon = uri.indexOf(':');
  if (colon < 0) return null;
  const start = colon + 1;
  const semi = uri.indexOf(';', start);
  if (colon === 3 && isTelScheme(uri)) return uri.slice(start, semi < 0 ? uri.length : semi) || null;
  const at = uri.indexOf('@', start);
  if (at <= start) return null;
  return uri.slice(start, semi >= 0 && semi < at ? semi : at);
}

function party(uri: string | null, display: string | null): CallParty {
  return { uri, user: uriUser(uri), display };
}

function isInitialInvite(txns: TxnTable, t: number): boolean {
  return txns.method(t) === INVITE && !txns.inDialog(t);
}

/** The INVITEs sent outside a dialog: the first attempt and its retries (after 401 / 407 / 503 ...). */
export function initialInvites(call: CallState, txns: TxnTable): number[] {
  const initial: number[] = [];
  for (let t = call.firstTxn; t !== NONE; t = txns.next(t)) if (isInitialInvite(txns, t)) initial.push(t);
  return initial;
}

/** First 180 / 183 of any of these INVITE transactions (the first of equal times), else NONE. */
export function firstAlerting(txns: TxnTable, invites: readonly number[], log: MessageLog): number {
  let best = NONE;
  for (const t of invites) best = earlierAlerting(txns, t, best, log);
  return best;
}

function earlierAlerting(txns: TxnTable, t: number, best: number, log: MessageLog): number {
  const alerting = txns.firstAlerting(t);
  return alerting !== NONE && (best === NONE || log.time(alerting) < log.time(best)) ? alerting : best;
}

/** What an INVITE call's transactions say, found in one walk over them. */
interface InviteFacts {
  /** The first and the last initial INVITE (NONE: none). */
  firstInitial: number;
  lastInitial: number;
  /** The first initial INVITE that got a 2xx. */
  answered: number;
  /** First 180 / 183 of any initial INVITE. */
  alerting: number;
  firstBye: number;
  hasCancel: boolean;
}

function inviteFacts(call: CallState, txns: TxnTable, log: MessageLog): InviteFacts {
  const facts: InviteFacts = { firstInitial: NONE, lastInitial: NONE, answered: NONE, alerting: NONE, firstBye: NONE, hasCancel: false };
  for (let t = call.firstTxn; t !== NONE; t = txns.next(t)) {
    const method = txns.method(t);
    if (method === BYE && facts.firstBye === NONE) facts.firstBye = t;
    else if (method === CANCEL) facts.hasCancel = true;
    if (!isInitialInvite(txns, t)) continue;
    if (facts.firstInitial === NONE) facts.firstInitial = t;
    facts.lastInitial = t;
    if (facts.answered === NONE && txns.final(t) !== NONE && txns.finalStatus(t) < 300) facts.answered = t;
    facts.alerting = earlierAlerting(txns, t, facts.alerting, log);
  }
  return facts;
}

/** The outcome of a transaction that decides a call and has no final response. */
function unanswered(txns: TxnTable, t: number, log: MessageLog, end: number): CallOutcome {
  return isTimedOut(txns, t, log, end) ? 'no-final-response' : 'pending';
}

/**
 * The outcome of an INVITE call: that of the last INVITE sent outside a dialog, except that
 * an answered attempt makes the call completed (BYE seen) or answered.
 */
function inviteOutcome(facts: InviteFacts, txns: TxnTable, log: MessageLog, end: number): CallOutcome | null {
  if (facts.firstInitial === NONE) return null;
  if (facts.answered !== NONE) return facts.firstBye !== NONE ? 'completed' : 'answered';
  const last = facts.lastInitial;
  if (txns.final(last) === NONE) return unanswered(txns, last, log, end);
  const status = txns.finalStatus(last);
  if (status === 487 && facts.hasCancel) return 'cancelled';
  if (status === 486 || status === 600) return 'busy';
  if (status < 400) return 'redirected';
  if (status < 500 || status >= 600) return 'rejected';
  return 'failed';
}

/** Other kinds: the last request of the first request's method sent outside a dialog decides (NONE: the call has no transaction). */
function otherDecider(call: CallState, txns: TxnTable): number {
  const first = call.firstTxn;
  if (first === NONE) return NONE;
  const method = txns.method(first);
  let last = first;
  for (let t = first; t !== NONE; t = txns.next(t)) if (txns.method(t) === method && !txns.inDialog(t)) last = t;
  return last;
}

function otherOutcome(txns: TxnTable, decider: number, log: MessageLog, end: number): CallOutcome | null {
  if (decider === NONE) return null;
  if (txns.final(decider) === NONE) return unanswered(txns, decider, log, end);
  return txns.finalStatus(decider) < 300 ? 'success' : 'failed';
}

/** Seconds from a to b, to the microsecond. */
function span(log: MessageLog, a: number, b: number): number {
  return Math.round((log.time(b) - log.time(a)) * 1e6) / 1e6;
}

/** The latest media of every sender, in one list. */
function allMedia(call: CallState): SdpMedia[] {
  const senders = call.mediaLatest;
  if (senders === null) return sized<SdpMedia>(0);
  let n = 0;
  for (let s = 0; s < senders.length; s++) n += senders[s]!.length;
  const media = sized<SdpMedia>(n);
  let i = 0;
  for (let s = 0; s < senders.length; s++) {
    const latest = senders[s]!;
    for (let k = 0; k < latest.length; k++) media[i++] = latest[k]!;
  }
  return media;
}

/** The ids of the call's transactions and dialogs, oldest first. */
export interface CallIds {
  transactions: number[];
  dialogs: number[];
}

/** The call as the model reports it; anomalies and legs are filled in later. */
export function toCall(call: CallState, txns: TxnTable, ids: CallIds, walk: CallWalk, log: MessageLog, end: number): Call {
  const kind = callKind(call);
  let outcome: CallOutcome | null = null;
  let decided = NONE;
  let dialled = NONE;
  let answer = NONE;
  let alerting = NONE;
  let bye = NONE;
  if (kind === 'call') {
    const facts = inviteFacts(call, txns, log);
    outcome = inviteOutcome(facts, txns, log, end);
    decided = facts.answered !== NONE ? facts.answered : facts.lastInitial;
    dialled = facts.firstInitial === NONE ? NONE : txns.firstRequest(facts.firstInitial);
    answer = facts.answered === NONE ? NONE : txns.firstSuccess(facts.answered);
    alerting = facts.alerting;
    bye = facts.firstBye;
  } else if (kind !== 'mid-dialog') {
    decided = otherDecider(call, txns);
    outcome = otherOutcome(txns, decided, log, end);
  }

  let endedBy: Call['endedBy'] = null;
  let endTime: string | null = null;
  let duration: number | null = null;
  if (outcome === 'completed' && bye !== NONE) {
    const byeRequest = txns.firstRequest(bye);
    endedBy = txns.fromTag(bye) === call.fromTag ? 'caller' : 'callee';
    endTime = log.timeText(byeRequest);
    duration = answer === NONE ? null : span(log, answer, byeRequest);
  } else if (outcome === 'answered' && answer !== NONE) {
    duration = span(log, answer, call.lastMessage);
  } else if (decided !== NONE && txns.final(decided) !== NONE) {
    endTime = log.timeText(txns.final(decided));
  }

  return {
    callId: call.callId,
    kind,
    firstRequest: call.openingMethod === NONE ? '' : log.methodName(call.openingMethod),
    caller: party(call.fromUri, call.fromDisplay),
    callee: party(call.toUri, call.toDisplay),
    outcome,
    finalStatus: decided === NONE ? null : finalStatusOf(txns, decided),
    finalReason: decided === NONE ? null : txns.finalReason(decided),
    endedBy,
    startTime: log.timeText(call.firstMessage),
    answerTime: answer === NONE ? null : log.timeText(answer),
    endTime,
    lastTime: log.timeText(call.lastMessage),
    postDialDelay: dialled !== NONE && alerting !== NONE ? span(log, dialled, alerting) : null,
    setupTime: dialled !== NONE && answer !== NONE ? span(log, dialled, answer) : null,
    duration,
    messages: walk.messages,
    transactions: ids.transactions,
    dialogs: ids.dialogs,
    endpoints: walk.endpoints,
    media: allMedia(call),
    onHold: call.onHold,
    anomalies: [],
    legs: [],
  };
}
