// The streaming part of the analysis: each message is matched to its call, its transaction
// (RFC 3261 §17.1.3 / §17.2.3), its dialog (§12) and, when it repeats an earlier copy, marked
// as a retransmission, with a constant number of lookups per message. Lookups stay inside the
// message's call (a Call-ID lookup, then a scan of the call's few transactions and dialogs, or
// its own maps once it has many), so nothing indexes every transaction of the capture.
import type { SdpMedia, SdpSummary, SipMessage } from '../model.js';
import { isHoldSdp } from '../sip/sdp.js';
import { isSenderKey, MediaInterner, sameMedia, sdpSenderKey } from './media.js';
import { detached, detachedOrNull, Interner, MessageLog, NONE } from './message-log.js';
import { ACK, BYE, CANCEL, INVITE, isDialogCreating, NOTIFY, REFER, REGISTER, SUBSCRIBE, UPDATE } from './methods.js';
import { CallState, DialogTable, TxnTable, txnKey } from './state.js';

function isSubscriptionEnd(state: string | null): boolean {
  return state !== null && state.trimStart().toLowerCase().startsWith('terminated');
}

/** Adds a message's value to a set the call keeps: a copy of its own, made only when it is new. */
function keepIn(set: Set<string>, value: string): void {
  if (!set.has(value)) set.add(detached(value));
}

/** "<seq> <METHOD>", what a CSeq header usually says. */
function plainCseq(cseqSeq: number | null, method: string): string {
  return `${cseqSeq ?? ''} ${method}`.trim();
}

/** CSeq numbers below this have their plain CSeq text made once per method. */
const SHARED_CSEQ_LIMIT = 256;

/** The plain CSeq texts of small sequence numbers, one string per method and number for the whole capture. */
class PlainCseqs {
  private readonly byMethod: string[][] = [];

  text(cseqSeq: number | null, method: number, name: string): string {
    if (cseqSeq === null || cseqSeq >= SHARED_CSEQ_LIMIT) return plainCseq(cseqSeq, name);
    while (this.byMethod.length <= method) this.byMethod.push([]);
    const texts = this.byMethod[method]!;
    while (texts.length <= cseqSeq) texts.push('');
    if (texts[cseqSeq] === '') texts[cseqSeq] = plainCseq(cseqSeq, name);
    return texts[cseqSeq]!;
  }
}

export class CallTracker {
  readonly log = new MessageLog();
  readonly txns = new TxnTable();
  readonly dialogs = new DialogTable();
  /** Calls not settled yet, by Call-ID, in order of their first message. */
  readonly live = new Map<string, CallState>();
  readonly requestCounts = new Map<string, number>();
  readonly responseCounts = new Map<number, number>();
  /** Retransmitted requests and responses (ACK copies aside, as tshark's sip,stat counts). */
  retransmissions = 0;
  /** UDP messages above the size limit that belong to no call (no Call-ID). */
  readonly oversizedWithoutCall: number[] = [];
  callCount = 0;
  /** The transaction and dialog ids of the message last added, NONE for none: its link, final once it is added. */
  transaction = NONE;
  dialog = NONE;

  private readonly strings = new Interner();
  private readonly media = new MediaInterner();
  private readonly cseqs = new PlainCseqs();
  /** Gathers a small call's INVITE transactions while an ACK is matched (CallState.inviteTxns), without a list per ACK. */
  private readonly invites: number[] = [];

  constructor(private readonly udpMaxMessageBytes: number) {}

  /** Adds a message; returns its call (null without a Call-ID). */
  add(m: SipMessage): CallState | null {
    this.transaction = NONE;
    this.dialog = NONE;
    const log = this.log;
    const status = m.isRequest ? 0 : (m.status ?? 0);
    log.add(m.id, m.ts, status, m.isRequest ? m.method : null, m.src, m.dst, m.transport, m.size);
    const method = log.methodNumber(m.id);

    if (method !== NONE) {
      // the log's own copy: one string per method however many messages carry it
      const name = log.methodName(method);
      this.requestCounts.set(name, (this.requestCounts.get(name) ?? 0) + 1);
    } else if (!m.isRequest && m.status !== null) {
      this.responseCounts.set(m.status, (this.responseCounts.get(m.status) ?? 0) + 1);
    }
    const oversized = m.transport === 'UDP' && m.size > this.udpMaxMessageBytes;
    if (m.callId === null) {
      if (oversized) this.oversizedWithoutCall.push(m.id);
      return null;
    }

    const call = this.callOf(m);
    if (oversized) (call.more().oversized ??= []).push(m.id);
    const fromTag = call.tagNumber(m.fromTag, this.txns, this.dialogs);
    const toTag = call.tagNumber(m.toTag, this.txns, this.dialogs);
    log.setToTag(m.id, toTag);
    if (m.xCallId !== null) keepIn((call.more().xCallIds ??= new Set()), m.xCallId);
    if (m.icid !== null) keepIn((call.more().icids ??= new Set()), m.icid);
    if (m.sdp !== null) this.noteSdp(call, m, m.sdp);

    if (m.isRequest) {
      if (method === NONE) return call;
      if (call.openingMethod === NONE) this.noteOpening(call, m, method, fromTag, toTag);
      if (method === ACK) this.addAck(call, m, fromTag, toTag);
      else this.addRequest(call, m, method, fromTag, toTag);
    } else {
      this.addResponse(call, m, fromTag, toTag);
    }
    return call;
  }

  /** Forgets a settled call: its messages' facts, transactions and dialogs go with it. */
  release(call: CallState): void {
    const { log, txns, dialogs } = this;
    this.live.delete(call.callId);
    log.releaseCall(call.firstMessage);
    for (let t = call.firstTxn; t !== NONE; ) {
      const next = txns.next(t);
      txns.release(t);
      t = next;
    }
    for (let d = call.firstDialog; d !== NONE; ) {
      const next = dialogs.next(d);
      dialogs.release(d);
      d = next;
    }
  }

  private callOf(m: SipMessage): CallState {
    let call = this.live.get(m.callId!);
    if (call === undefined) {
      call = new CallState(this.callCount++, detached(m.callId!), m.id);
      this.live.set(call.callId, call);
    } else {
      this.log.setNextInCall(call.lastMessage, m.id);
      call.lastMessage = m.id;
    }
    return call;
  }

  private noteOpening(call: CallState, m: SipMessage, method: number, fromTag: number, toTag: number): void {
    call.openingMethod = method;
    call.openingRequest = m.id;
    call.fromUri = this.strings.intern(m.fromUri);
    call.fromDisplay = this.strings.intern(m.fromDisplay);
    call.fromTag = fromTag;
    call.toUri = this.strings.intern(m.toUri);
    call.toDisplay = this.strings.intern(m.toDisplay);
    call.toTag = toTag;
  }

  private noteSdp(call: CallState, m: SipMessage, sdp: SdpSummary): void {
    const senders = call.mediaSenders;
    let n = -1;
    if (senders !== null) {
      for (let i = 0; i < senders.length && n < 0; i++) if (isSenderKey(senders[i]!, sdp.origin, m.src)) n = i;
    }
    let media: readonly SdpMedia[];
    if (n >= 0) {
      const latest = call.mediaLatest![n]!;
      media = sameMedia(latest, sdp.media) ? latest : this.media.mediaOf(sdp.media);
      call.mediaLatest![n] = media;
    } else {
      media = this.media.mediaOf(sdp.media);
      const key = sdpSenderKey(sdp.origin, m.src);
      // exact-size arrays: a call has one or two senders
      call.mediaSenders = senders === null ? [key] : senders.concat(key);
      call.mediaLatest = call.mediaLatest === null ? [media] : call.mediaLatest.concat([media]);
    }
    if (call.firstOfferCodecs === null && m.isRequest) {
      call.firstOfferCodecs = media.length === 1 ? media[0]!.codecs : this.media.list(media.flatMap((s) => s.codecs));
    }
    // RFC 3264 §8.4: hold is offered in a new offer inside the session (re-INVITE or UPDATE)
    if (m.isRequest && m.toTag !== null && (m.method === 'INVITE' || m.method === 'UPDATE') && !call.onHold && isHoldSdp(sdp)) {
      call.more().holdOffer = m.id;
    }
  }

  /**
   * The dialog of §12 (Call-ID + both tags) a message with these tags belongs to, whichever side
   * sent it: its From / To tags are the dialog's own in requests of the caller, swapped in the
   * callee's. NONE when there is none.
   */
  private findDialog(call: CallState, tagA: number, tagB: number): number {
    if (tagA === NONE || tagB === NONE) return NONE;
    const d = call.dialogWithTags(this.dialogs, tagA, tagB);
    return d !== NONE ? d : call.dialogWithTags(this.dialogs, tagB, tagA);
  }

  /** The id of a dialog slot, NONE for none. */
  private dialogId(d: number): number {
    return d === NONE ? NONE : this.dialogs.id(d);
  }

  /** The transaction a request belongs to (§17.2.3): branch + sent-by + method, and the same CSeq number. */
  private requestTxn(call: CallState, m: SipMessage, method: number, fromTag: number): number {
    return call.newestTxn(this.txns, txnKey(m.branch, m.cseqSeq, fromTag, m.sentBy, method), method, m.cseqSeq, m.sentBy);
  }

  /** The client transaction a response belongs to (§17.1.3): branch + CSeq method (sent-by is the same Via). */
  private responseTxn(call: CallState, m: SipMessage, cseqMethod: number, fromTag: number): number {
    return call.newestTxn(this.txns, txnKey(m.branch, m.cseqSeq, fromTag, m.sentBy, cseqMethod), cseqMethod, m.cseqSeq, undefined);
  }

  /** Threads a message onto its transaction's list and links it to the transaction. */
  private appendToTxn(t: number, id: number): void {
    this.log.setNextInTransaction(this.txns.lastMessage(t), id);
    this.txns.setLastMessage(t, id);
    this.transaction = this.txns.id(t);
  }

  private createDialog(call: CallState, fromTag: number, toTag: number, method: number, createdBy: number, creator: number): number {
    const d = this.dialogs.create(fromTag, toTag, method, createdBy, creator);
    call.addDialog(d, this.txns, this.dialogs);
    return d;
  }

  private addRequest(call: CallState, m: SipMessage, method: number, fromTag: number, toTag: number): void {
    const txns = this.txns;
    const known = this.requestTxn(call, m, method, fromTag);
    // A copy matching the transaction is a retransmission (§17.2.3); a proxy's copy has its own branch.
    if (known !== NONE) {
      this.appendToTxn(known, m.id);
      txns.addRequestCopy(known, m.id);
      this.dialog = this.dialogId(txns.dialog(known));
      this.log.setRetransmissionOf(m.id, txns.firstRequest(known));
      this.retransmissions++;
      return;
    }
    const plain = this.cseqs.text(m.cseqSeq, method, this.log.methodName(method));
    const cseq = m.cseq === null || m.cseq === plain ? plain : detached(m.cseq);
    const reliable = m.transport !== 'UDP';
    const branch = detachedOrNull(m.branch);
    const sentBy = this.strings.intern(m.sentBy);
    const t = txns.create(method, cseq, m.cseqSeq, branch, sentBy, fromTag, m.toTag !== null, reliable, m.id);
    this.noteRequestDetails(t, m, method);
    call.addTxn(t, txnKey(branch, m.cseqSeq, fromTag, sentBy, method), txns, this.dialogs);
    this.transaction = txns.id(t);
    if (method === CANCEL) {
      // §9.1: the CANCEL carries the branch of the request it cancels
      txns.detailsForWriting(t).cancels = this.requestTxn(call, m, INVITE, fromTag);
    }
    if (m.toTag !== null) this.addInDialogRequest(call, m, method, t, fromTag, toTag);
  }

  /** What only registrations, credentials and CANCEL need (most transactions have none of it). */
  private noteRequestDetails(t: number, m: SipMessage, method: number): void {
    const register = method === REGISTER;
    if (!register && !m.hasCredentials) return;
    const details = this.txns.detailsForWriting(t);
    details.hadCredentials = m.hasCredentials;
    if (!register) return;
    details.credentialsNonce = m.hasCredentials ? detachedOrNull(m.authNonce) : null;
    details.requestExpires = m.contactExpires ?? m.expires;
    details.contact = detachedOrNull(m.contactUri);
  }

  private addInDialogRequest(call: CallState, m: SipMessage, method: number, t: number, fromTag: number, toTag: number): void {
    const dialogs = this.dialogs;
    let d = this.findDialog(call, fromTag, toTag);
    if (d === NONE && method === NOTIFY) d = this.dialogFromNotify(call, m, fromTag, toTag);
    if (d === NONE) return;
    this.txns.setDialog(t, d);
    this.dialog = dialogs.id(d);
    if (method === BYE && dialogs.terminatedBy(d) === NONE) {
      dialogs.setTerminatedBy(d, m.id);
      dialogs.end(d);
    } else if (method === NOTIFY && dialogs.method(d) !== INVITE && isSubscriptionEnd(m.subscriptionState)) {
      // RFC 6665 §4.4.1: a NOTIFY with Subscription-State: terminated ends the subscription (and its dialog)
      dialogs.end(d);
    }
  }

  /**
   * RFC 6665 §4.1.2.4: a NOTIFY may reach the subscriber before the 2xx to its SUBSCRIBE; it
   * creates the dialog then. Its To tag is the subscriber's From tag, its From tag the notifier's.
   */
  private dialogFromNotify(call: CallState, m: SipMessage, fromTag: number, toTag: number): number {
    if (fromTag === NONE || toTag === NONE) return NONE;
    const txns = this.txns;
    let subscribe = NONE;
    for (let t = call.firstTxn; t !== NONE && subscribe === NONE; t = txns.next(t)) {
      const method = txns.method(t);
      if (!txns.inDialog(t) && (method === SUBSCRIBE || method === REFER) && txns.fromTag(t) === toTag) subscribe = t;
    }
    if (subscribe === NONE) return NONE;
    const d = this.createDialog(call, txns.fromTag(subscribe), fromTag, txns.method(subscribe), m.id, subscribe);
    this.dialogs.setConfirmedBy(d, m.id);
    if (txns.dialog(subscribe) === NONE) txns.setDialog(subscribe, d);
    return d;
  }

  /**
   * An ACK to a non-2xx final is part of the INVITE transaction (same branch, §17.1.1.3); an ACK
   * to a 2xx is a transaction of its own that is never answered (§13.2.2.4), listed as the ack of
   * the INVITE it confirms. Through a proxy the same ACK crosses every hop: each copy goes to
   * the hop on which its sender got the 2xx.
   */
  private addAck(call: CallState, m: SipMessage, fromTag: number, toTag: number): void {
    const { txns, log } = this;
    const sameBranch = this.requestTxn(call, m, INVITE, fromTag);
    let t: number;
    let forTwoXx: boolean;
    if (sameBranch !== NONE && txns.final(sameBranch) !== NONE) {
      t = sameBranch;
      forTwoXx = txns.finalStatus(sameBranch) < 300;
    } else {
      t = this.ackedInvite(call, m, fromTag, toTag);
      forTwoXx = true;
      if (t === NONE) {
        t = this.nonTwoXxAckWithNewBranch(call, m, fromTag, toTag);
        forTwoXx = false;
        if (t === NONE) {
          // the INVITE it acknowledges is not in the capture
          this.dialog = this.dialogId(this.findDialog(call, fromTag, toTag));
          return;
        }
      }
    }
    const firstAck = txns.firstAck(t);
    if (firstAck !== NONE && log.srcNumber(firstAck) === log.srcNumber(m.id)) log.setRetransmissionOf(m.id, firstAck);
    txns.addAck(t, m.id, forTwoXx);
    this.appendToTxn(t, m.id);
    const d = this.findDialog(call, fromTag, toTag);
    this.dialog = this.dialogId(d !== NONE ? d : txns.dialog(t));
  }

  /**
   * The INVITE transaction this ACK copy confirms: same CSeq number and From tag (either side may
   * send a re-INVITE, each in its own CSeq space), answered 2xx; on a proxied call, the hop whose
   * 2xx went to the ACK's sender, else came from its destination, else carried its To tag.
   */
  private ackedInvite(call: CallState, m: SipMessage, fromTag: number, toTag: number): number {
    const { log, txns } = this;
    const src = log.srcNumber(m.id);
    const dst = log.dstNumber(m.id);
    let bySender = NONE;
    let byReceiver = NONE;
    let byTag = NONE;
    let any = NONE;
    for (const t of call.inviteTxns(txns, this.invites)) {
      if (txns.cseqSeq(t) !== m.cseqSeq || txns.fromTag(t) !== fromTag || txns.firstSuccess(t) === NONE) continue;
      any = t;
      for (let r = txns.firstResponse(t); r !== NONE; r = log.nextInTransaction(r)) {
        const status = log.status(r);
        if (status < 200 || status >= 300) continue;
        if (log.dstNumber(r) === src) bySender = t;
        if (log.srcNumber(r) === dst) byReceiver = t;
        if (log.toTag(r) === toTag) byTag = t;
      }
    }
    return bySender !== NONE ? bySender : byReceiver !== NONE ? byReceiver : byTag !== NONE ? byTag : any;
  }

  /** An ACK to a non-2xx sent with a new branch (against §17.1.1.3): matched on CSeq and the final's To tag. */
  private nonTwoXxAckWithNewBranch(call: CallState, m: SipMessage, fromTag: number, toTag: number): number {
    const { log, txns } = this;
    let match = NONE;
    for (const t of call.inviteTxns(txns, this.invites)) {
      const final = txns.final(t);
      if (txns.cseqSeq(t) === m.cseqSeq && txns.fromTag(t) === fromTag && final !== NONE && txns.finalStatus(t) >= 300 && log.toTag(final) === toTag) match = t;
    }
    return match;
  }

  private addResponse(call: CallState, m: SipMessage, fromTag: number, toTag: number): void {
    const status = m.status;
    if (status === null || m.cseqMethod === null) return;
    const { txns, log } = this;
    const method = log.methodNumberOf(m.cseqMethod);
    const t = method === NONE ? NONE : this.responseTxn(call, m, method, fromTag);
    if (t === NONE) {
      // its request is not in the capture (or precedes it): the dialog may still be known
      this.dialog = this.dialogId(this.findDialog(call, fromTag, toTag));
      return;
    }
    this.appendToTxn(t, m.id);

    const first = this.earlierCopy(t, status, toTag, m.rseq);
    if (first !== NONE) {
      txns.addResponseRetransmission(t);
      this.retransmissions++;
      log.setRetransmissionOf(m.id, first);
      this.dialog = this.dialogId(this.responseDialog(call, t, toTag));
      return;
    }
    log.setPreviousFirstCopy(m.id, txns.lastFirstCopy(t));
    txns.setLastFirstCopy(t, m.id);
    if (m.rseq !== null) log.setRseq(m.id, m.rseq);

    if (txns.firstResponse(t) === NONE) txns.setFirstResponse(t, m.id);
    if ((status === 180 || status === 183) && txns.firstAlerting(t) === NONE) txns.setFirstAlerting(t, m.id);
    if (status >= 200 && status < 300 && txns.firstSuccess(t) === NONE) txns.setFirstSuccess(t, m.id);
    if (status >= 200 && txns.final(t) === NONE) this.noteFinal(t, m, status);

    const inDialog = txns.inDialog(t);
    if (!inDialog && isDialogCreating(method) && toTag !== NONE && status >= 101 && status < 300 && txns.fromTag(t) !== NONE) {
      this.dialogFromResponse(call, t, m, status, toTag);
    } else if (inDialog && txns.dialog(t) !== NONE) {
      this.inDialogResponse(txns.dialog(t), t, m, status);
    }
    if (status >= 300 && !inDialog) {
      // §12.1 / §13.2.2.3: a final failure ends the early dialogs of the request
      const dialogs = this.dialogs;
      for (let d = call.firstDialog; d !== NONE; d = dialogs.next(d)) if (dialogs.creator(d) === t && dialogs.confirmedBy(d) === NONE) dialogs.end(d);
    }
    this.dialog = this.dialogId(this.responseDialog(call, t, toTag));
  }

  private noteFinal(t: number, m: SipMessage, status: number): void {
    const txns = this.txns;
    txns.setFinal(t, m.id, status, this.strings.intern(m.reason));
    const register = txns.method(t) === REGISTER;
    const challenge = status === 401 || status === 407;
    const realm = challenge ? m.authRealm : null;
    const expires = register ? (m.contactExpires ?? m.expires) : null;
    const minExpires = register ? m.minExpires : null;
    if (m.retryAfter === null && realm === null && expires === null && minExpires === null && !(register && challenge)) return;
    const details = txns.detailsForWriting(t);
    details.finalRetryAfter = m.retryAfter;
    details.finalMinExpires = minExpires;
    details.finalExpires = expires;
    details.challengeRealm = this.strings.intern(realm);
    details.challengeNonce = register && challenge ? detachedOrNull(m.authNonce) : null;
  }

  /** The first copy of an earlier response with the same status and To tag (and RSeq: RFC 3262 §3 numbers each reliable provisional), else NONE. */
  private earlierCopy(t: number, status: number, toTag: number, rseq: number | null): number {
    const log = this.log;
    let match = NONE;
    for (let c = this.txns.lastFirstCopy(t); c !== NONE; c = log.previousFirstCopy(c)) {
      if (log.status(c) === status && log.toTag(c) === toTag && log.rseq(c) === rseq) match = c;
    }
    return match;
  }

  /** The dialog a response belongs to: its transaction's inside a dialog, else the one its To tag names (none for a 100 or a failure). */
  private responseDialog(call: CallState, t: number, toTag: number): number {
    if (this.txns.inDialog(t)) return this.txns.dialog(t);
    return this.findDialog(call, this.txns.fromTag(t), toTag);
  }

  /** §12.1.1: a 101-299 response with a To tag to INVITE / SUBSCRIBE / REFER outside a dialog creates one (early, or confirmed by a 2xx). */
  private dialogFromResponse(call: CallState, t: number, m: SipMessage, status: number, toTag: number): void {
    const { txns, dialogs } = this;
    const fromTag = txns.fromTag(t);
    let d = this.findDialog(call, fromTag, toTag);
    if (d === NONE) d = this.createDialog(call, fromTag, toTag, txns.method(t), m.id, t);
    if (status >= 200 && dialogs.confirmedBy(d) === NONE) {
      dialogs.setConfirmedBy(d, m.id);
      this.startSessionTimer(d, m);
    }
    // the transaction's dialog: the first confirmed one, else the first early one (forks)
    const current = txns.dialog(t);
    if (current === NONE || (dialogs.confirmedBy(current) === NONE && dialogs.confirmedBy(d) !== NONE)) txns.setDialog(t, d);
  }

  private inDialogResponse(d: number, t: number, m: SipMessage, status: number): void {
    // §12.2.1.2: a 481 or 408 to a request inside a dialog ends the dialog
    if (status === 481 || status === 408) this.dialogs.end(d);
    // RFC 4028 §10: a 2xx to a re-INVITE or UPDATE refreshes the session
    const method = this.txns.method(t);
    if (status >= 200 && status < 300 && (method === INVITE || method === UPDATE)) this.startSessionTimer(d, m);
  }

  /** RFC 4028 §7.2 / §9: the Session-Expires of the 2xx sets the interval; a 2xx without one turns the timer off. */
  private startSessionTimer(d: number, m: SipMessage): void {
    const dialogs = this.dialogs;
    if (dialogs.method(d) !== INVITE) return;
    const previous = dialogs.refreshedBy(d);
    const interval = dialogs.sessionExpires(d);
    if (previous !== NONE && interval !== null && interval > 0 && this.log.time(m.id) > this.log.time(previous) + interval) {
      dialogs.addLateRefresh(d, { setBy: previous, interval, refresh: m.id });
    }
    dialogs.refresh(d, m.id, m.sessionExpires);
  }
}
