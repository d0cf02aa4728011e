// The messages, transactions and dialogs of a call, read back from the lists the tracker
// threads through the log and the tables, when a call is settled.
import { NONE, type MessageLog } from './message-log.js';
import { ACK } from './methods.js';
import type { CallState, DialogTable, TxnTable } from './state.js';

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

/** What one walk over a call's messages finds: their ids, and each once, in order of appearance, the endpoints, request methods and response statuses. */
export interface CallWalk {
  messages: number[];
  /** "ip:port" of every sender and receiver. */
  endpoints: string[];
  methods: string[];
  statuses: number[];
}

export function walkCall(call: CallState, log: MessageLog): CallWalk {
  let n = 0;
  for (let id = call.firstMessage; id !== NONE; id = log.nextInCall(id)) n++;
  const messages = sized<number>(n);
  // a call has a few endpoints, methods and statuses: a scan of those seen beats a set
  const endpoints: number[] = [];
  const methods: number[] = [];
  const statuses: number[] = [];
  let i = 0;
  for (let id = call.firstMessage; id !== NONE; id = log.nextInCall(id)) {
    messages[i++] = id;
    const src = log.srcNumber(id);
    const dst = log.dstNumber(id);
    if (!endpoints.includes(src)) endpoints.push(src);
    if (!endpoints.includes(dst)) endpoints.push(dst);
    const status = log.status(id);
    if (status !== 0) {
      if (!statuses.includes(status)) statuses.push(status);
      continue;
    }
    const method = log.methodNumber(id);
    if (method !== NONE && !methods.includes(method)) methods.push(method);
  }
  return { messages, endpoints: endpoints.map((e) => log.endpoint(e)), methods: methods.map((m) => log.methodName(m)), statuses };
}

/** The call's transaction slots, oldest first. */
export function callTxns(call: CallState, txns: TxnTable): number[] {
  const slots = sized<number>(call.txnCount);
  let i = 0;
  for (let t = call.firstTxn; t !== NONE; t = txns.next(t)) slots[i++] = t;
  return slots;
}

/** The call's dialog slots, oldest first. */
export function callDialogs(call: CallState, dialogs: DialogTable): number[] {
  const slots = sized<number>(call.dialogCount);
  let i = 0;
  for (let d = call.firstDialog; d !== NONE; d = dialogs.next(d)) slots[i++] = d;
  return slots;
}

/** A transaction's messages by kind: the request and its retransmissions, every response, the ACKs. */
export interface TxnMessages {
  requests: number[];
  responses: number[];
  ack: number[];
}

export function txnMessages(txns: TxnTable, t: number, log: MessageLog): TxnMessages {
  const firstRequest = txns.firstRequest(t);
  const firstAck = txns.firstAck(t);
  let responseCount = 0;
  let ackCount = 0;
  for (let id = firstRequest; id !== NONE; id = log.nextInTransaction(id)) {
    if (log.status(id) !== 0) responseCount++;
    else if (id !== firstRequest && isAck(firstAck, log, id)) ackCount++;
  }
  const out: TxnMessages = { requests: sized<number>(txns.requestCount(t)), responses: sized<number>(responseCount), ack: sized<number>(ackCount) };
  let request = 0;
  let response = 0;
  let ack = 0;
  for (let id = firstRequest; id !== NONE; id = log.nextInTransaction(id)) {
    if (log.status(id) !== 0) out.responses[response++] = id;
    else if (id === firstRequest || !isAck(firstAck, log, id)) out.requests[request++] = id;
    else out.ack[ack++] = id;
  }
  return out;
}

/** A request in a transaction's list is an ACK unless it is a copy of the request (the transaction's method is never ACK). */
function isAck(firstAck: number, log: MessageLog, id: number): boolean {
  return firstAck !== NONE && id >= firstAck && log.methodNumber(id) === ACK;
}

/** The request and its retransmissions. */
export function requestCopies(txns: TxnTable, t: number, log: MessageLog): number[] {
  return txnMessages(txns, t, log).requests;
}

/** Every response, retransmissions included. */
export function responses(txns: TxnTable, t: number, log: MessageLog): number[] {
  return txnMessages(txns, t, log).responses;
}

/** Whether some distinct response of the transaction has a status the test accepts. */
export function hasResponseWith(txns: TxnTable, t: number, log: MessageLog, test: (status: number) => boolean): boolean {
  for (let c = txns.lastFirstCopy(t); c !== NONE; c = log.previousFirstCopy(c)) if (test(log.status(c))) return true;
  return false;
}

/** The distinct responses, each with its copies, in order of their first copies. */
export function responseCopies(txns: TxnTable, t: number, log: MessageLog): ResponseCopies[] {
  const groups: ResponseCopies[] = [];
  for (let id = txns.firstResponse(t); id !== NONE; id = log.nextInTransaction(id)) {
    const status = log.status(id);
    if (status === 0) continue;
    const first = log.retransmissionOf(id);
    if (first === NONE) groups.push({ status, rseq: log.rseq(id), ids: [id] });
    else groups.find((g) => g.ids[0] === first)!.ids.push(id);
  }
  return groups;
}
