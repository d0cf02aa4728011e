// The messages, transactions and dialogs of a call, read back from the lists the tracker
// threads through the log and the states, when a call is settled.
import { NONE, type MessageLog } from './message-log.js';
import type { CallState, DialogState, TxnState } from './state.js';

/** Copies of one response of a transaction: same status, To tag and (for reliable provisionals) RSeq. */
export interface ResponseCopies {
  status: number;
  rseq: number | null;
  ids: number[];
}

// Lists are counted first and filled in an array of that size: an array grown by push keeps
// room for more, which the calls and transactions of a large capture would pay for many times.

/** Beyond this length V8 would make `new Array(n)` a slow dictionary array: such a list grows instead. */
const PREALLOCATED_LIMIT = 1 << 15;

/** An array for exactly n elements, to be filled in order from index 0. */
export function sized<T>(n: number): T[] {
  return n <= PREALLOCATED_LIMIT ? new Array<T>(n) : [];
}

export function callMessages(call: CallState, log: MessageLog): number[] {
  let n = 0;
  for (let id = call.firstMessage; id !== NONE; id = log.nextInCall(id)) n++;
  const ids = sized<number>(n);
  let i = 0;
  for (let id = call.firstMessage; id !== NONE; id = log.nextInCall(id)) ids[i++] = id;
  return ids;
}

export function callTxns(call: CallState): TxnState[] {
  const txns = sized<TxnState>(call.txnCount);
  let i = 0;
  for (let t = call.firstTxn; t !== null; t = t.next) txns[i++] = t;
  return txns;
}

export function callDialogs(call: CallState): DialogState[] {
  const dialogs = sized<DialogState>(call.dialogCount);
  let i = 0;
  for (let d = call.firstDialog; d !== null; d = d.next) dialogs[i++] = d;
  return dialogs;
}

/** A transaction's messages by kind: the request and its retransmissions, every response, the ACKs. */
export interface TxnMessages {
  requests: number[];
  responses: number[];
  ack: number[];
}

export function txnMessages(txn: TxnState, log: MessageLog): TxnMessages {
  let responseCount = 0;
  let ackCount = 0;
  for (let id = txn.firstRequest; id !== NONE; id = log.nextInTransaction(id)) {
    if (log.status(id) !== 0) responseCount++;
    else if (id !== txn.firstRequest && isAck(txn, log, id)) ackCount++;
  }
  const out: TxnMessages = { requests: sized<number>(txn.requestCount), responses: sized<number>(responseCount), ack: sized<number>(ackCount) };
  let request = 0;
  let response = 0;
  let ack = 0;
  for (let id = txn.firstRequest; id !== NONE; id = log.nextInTransaction(id)) {
    if (log.status(id) !== 0) out.responses[response++] = id;
    else if (id === txn.firstRequest || !isAck(txn, log, id)) out.requests[request++] = id;
    else out.ack[ack++] = id;
  }
  return out;
}

/** A request in a transaction's list is an ACK unless it is a copy of the request (the transaction's method is never ACK). */
function isAck(txn: TxnState, log: MessageLog, id: number): boolean {
  return txn.firstAck !== null && id >= txn.firstAck && log.method(id) === 'ACK';
}

/** The request and its retransmissions. */
export function requestCopies(txn: TxnState, log: MessageLog): number[] {
  return txnMessages(txn, log).requests;
}

/** Every response, retransmissions included. */
export function responses(txn: TxnState, log: MessageLog): number[] {
  return txnMessages(txn, log).responses;
}

/** Whether some distinct response of the transaction has a status the test accepts. */
export function hasResponseWith(txn: TxnState, log: MessageLog, test: (status: number) => boolean): boolean {
  for (let c = txn.lastFirstCopy ?? NONE; c !== NONE; c = log.previousFirstCopy(c)) if (test(log.status(c))) return true;
  return false;
}

/** The distinct responses, each with its copies, in order of their first copies. */
export function responseCopies(txn: TxnState, log: MessageLog): ResponseCopies[] {
  const groups: ResponseCopies[] = [];
  if (txn.firstResponse === null) return groups;
  for (let id = txn.firstResponse; id !== NONE; id = log.nextInTransaction(id)) {
    const status = log.status(id);
    if (status === 0) continue;
    const first = log.retransmissionOf(id);
    if (first === NONE) groups.push({ status, rseq: log.rseq(id), ids: [id] });
    else groups.find((g) => g.ids[0] === first)!.ids.push(id);
  }
  return groups;
}
