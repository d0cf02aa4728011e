// The streaming part of the analysis: each message is matched to its call, its transaction
// (RFC 3261 §17.1.3 / §17.2.3), its dialog (§12) and, when it repeats an earlier copy, marked
// as a retransmission, with a constant number of lookups per message. Lookups stay inside the
// message's call (a Call-ID lookup, then a scan of the call's few transactions and dialogs, or
// its own maps once it has many), so nothing indexes every transaction of the capture.
import type { SdpSummary, SipMessage } from '../model.js';
import { isHoldSdp } from '../sip/sdp.js';
import { MediaInterner, sdpSenderKey } from './media.js';
import { Interner, MessageLog, NONE } from './message-log.js';
import { CallState, DIALOG_CREATING, DialogState, TxnState, txnKey } from './state.js';

function isSubscriptionEnd(state: string | null): boolean {
  return state !== null && state.trimStart().toLowerCase().startsWith('terminated');
}

/** "<seq> <METHOD>", what a CSeq header usually says. */
function plainCseq(cseqSeq: number | null, method: string): string {
  return `${cseqSeq ?? ''} ${method}`.trim();
}

export class CallTracker {
  readonly log = new MessageLog();
  /** Calls not settled yet, by Call-ID, in order of their first message. */
  readonly live = new Map<string, CallState>();
  readonly requestCounts = new Map<string, number>();
  readonly responseCounts = new Map<number, number>();
  /** Retransmitted requests and responses (ACK copies aside, as tshark's sip,stat counts). */
  retransmissions = 0;
  /** UDP messages above the size limit that belong to no call (no Call-ID). */
  readonly oversizedWithoutCall: number[] = [];
  callCount = 0;
  txnCount = 0;
  dialogCount = 0;
  /** The transaction and dialog of the message last added, NONE for none: its link, final once it is added. */
  transaction = NONE;
  dialog = NONE;

  private readonly strings = new Interner();
  private readonly media = new MediaInterner();

  constructor(private readonly udpMaxMessageBytes: number) {}

  /** Adds a message; returns its call (null without a Call-ID). */
  add(m: SipMessage): CallState | null {
    this.transaction = NONE;
    this.dialog = NONE;
    const status = m.isRequest ? 0 : (m.status ?? 0);
    this.log.add(m.id, m.ts, status, m.isRequest ? m.method : null, m.src, m.dst, m.transport, m.size);
    // the log's own copy: one string per method however many messages carry it
    const method = this.log.method(m.id);

    if (m.isRequest && method !== null) this.requestCounts.set(method, (this.requestCounts.get(method) ?? 0) + 1);
    else if (!m.isRequest && m.status !== null) this.responseCounts.set(m.status, (this.responseCounts.get(m.status) ?? 0) + 1);
    const oversized = m.transport === 'UDP' && m.size > this.udpMaxMessageBytes;
    if (m.callId === null) {
      if (oversized) this.oversizedWithoutCall.push(m.id);
      return null;
    }

    const call = this.callOf(m);
    if (oversized) (call.more().oversized ??= []).push(m.id);
    const fromTag = call.tagNumber(m.fromTag);
    const toTag = call.tagNumber(m.toTag);
    this.log.setToTag(m.id, toTag);
    if (m.xCallId !== null) (call.more().xCallIds ??= new Set()).add(m.xCallId);
    if (m.icid !== null) (call.more().icids ??= new Set()).add(m.icid);
    if (m.sdp !== null) this.noteSdp(call, m, m.sdp);

    if (m.isRequest) {
      if (method === null) return call;
      if (call.openingMethod === null) this.noteOpening(call, m, method, fromTag, toTag);
      if (method === 'ACK') this.addAck(call, m, fromTag, toTag);
      else this.addRequest(call, m, method, fromTag, toTag);
    } else {
      this.addResponse(call, m, fromTag, toTag);
    }
    return call;
  }

  /** Forgets a settled call: its messages' facts go with it. */
  release(call: CallState): void {
    this.live.delete(call.callId);
    for (let id = call.firstMessage; id !== NONE; ) {
      const next = this.log.nextInCall(id);
      this.log.release(id);
      id = next;
    }
  }

  private callOf(m: SipMessage): CallState {
    let call = this.live.get(m.callId!);
    if (call === undefined) {
      call = new CallState(this.callCount++, m.callId!, m.id);
      this.live.set(call.callId, call);
    } else {
      this.log.setNextInCall(call.lastMessage, m.id);
      call.lastMessage = m.id;
    }
    return call;
  }

  private noteOpening(call: CallState, m: SipMessage, method: string, fromTag: number, toTag: number): void {
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
    const key = sdpSenderKey(sdp.origin, m.src);
    const media = this.media.mediaOf(sdp.media);
    const senders = call.mediaSenders;
    const n = senders === null ? -1 : senders.indexOf(key);
    if (n >= 0) call.mediaLatest![n] = media;
    else {
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
   * sent it: its From / To tags are the dialog's own in requests of the caller, swapped in the callee's.
   */
  private findDialog(call: CallState, tagA: number, tagB: number): DialogState | null {
    if (tagA === NONE || tagB === NONE) return null;
    return call.dialogWithTags(tagA, tagB) ?? call.dialogWithTags(tagB, tagA);
  }

  /** The transaction a request belongs to (§17.2.3): branch + sent-by + method, and the same CSeq number. */
  private requestTxn(call: CallState, m: SipMessage, method: string, fromTag: number): TxnState | null {
    return call.newestTxn(txnKey(m.branch, m.cseqSeq, fromTag, m.sentBy, method), method, m.cseqSeq, m.sentBy);
  }

  /** The client transaction a response belongs to (§17.1.3): branch + CSeq method (sent-by is the same Via). */
  private responseTxn(call: CallState, m: SipMessage, cseqMethod: string, fromTag: number): TxnState | null {
    return call.newestTxn(txnKey(m.branch, m.cseqSeq, fromTag, m.sentBy, cseqMethod), cseqMethod, m.cseqSeq, undefined);
  }

  /** Threads a message onto its transaction's list and links it to the transaction. */
  private appendToTxn(txn: TxnState, id: number): void {
    this.log.setNextInTransaction(txn.lastMessage, id);
    txn.lastMessage = id;
    this.transaction = txn.id;
  }

  private createDialog(call: CallState, fromTag: number, toTag: number, method: string, createdBy: number, creator: TxnState): DialogState {
    const d = new DialogState(this.dialogCount++, call, fromTag, toTag, method, createdBy, creator);
    call.addDialog(d);
    return d;
  }

  private addRequest(call: CallState, m: SipMessage, method: string, fromTag: number, toTag: number): void {
    const known = this.requestTxn(call, m, method, fromTag);
    // A copy matching the transaction is a retransmission (§17.2.3); a proxy's copy has its own branch.
    if (known !== null) {
      this.appendToTxn(known, m.id);
      known.requestCount++;
      known.lastRequest = m.id;
      this.dialog = known.dialog?.id ?? NONE;
      this.log.setRetransmissionOf(m.id, known.firstRequest);
      this.retransmissions++;
      return;
    }
    const plain = plainCseq(m.cseqSeq, method);
    const cseq = m.cseq ?? plain;
    const reliable = m.transport !== 'UDP';
    const txn = new TxnState(this.txnCount++, call, method, cseq === plain ? null : cseq, m.cseqSeq, m.branch, this.strings.intern(m.sentBy), fromTag, m.toTag !== null, reliable, m.id);
    this.noteRequestDetails(txn, m, method);
    call.addTxn(txn, txnKey(m.branch, m.cseqSeq, fromTag, m.sentBy, method));
    this.transaction = txn.id;
    if (method === 'CANCEL') {
      // §9.1: the CANCEL carries the branch of the request it cancels
      txn.detailsForWriting().cancels = this.requestTxn(call, m, 'INVITE', fromTag);
    }
    if (txn.inDialog) this.addInDialogRequest(call, m, method, txn, fromTag, toTag);
  }

  /** What only registrations, credentials and CANCEL need (most transactions have none of it). */
  private noteRequestDetails(txn: TxnState, m: SipMessage, method: string): void {
    const register = method === 'REGISTER';
    if (!register && !m.hasCredentials) return;
    const details = txn.detailsForWriting();
    details.hadCredentials = m.hasCredentials;
    if (!register) return;
    details.credentialsNonce = m.hasCredentials ? m.authNonce : null;
    details.requestExpires = m.contactExpires ?? m.expires;
    details.contact = m.contactUri;
  }

  private addInDialogRequest(call: CallState, m: SipMessage, method: string, txn: TxnState, fromTag: number, toTag: number): void {
    let dialog = this.findDialog(call, fromTag, toTag);
    if (dialog === null && method === 'NOTIFY') dialog = this.dialogFromNotify(call, m, fromTag, toTag);
    if (dialog === null) return;
    txn.dialog = dialog;
    this.dialog = dialog.id;
    if (method === 'BYE' && dialog.terminatedBy === null) {
      dialog.terminatedBy = m.id;
      dialog.ended = true;
    } else if (method === 'NOTIFY' && dialog.method !== 'INVITE' && isSubscriptionEnd(m.subscriptionState)) {
      // RFC 6665 §4.4.1: a NOTIFY with Subscription-State: terminated ends the subscription (and its dialog)
      dialog.ended = true;
    }
  }

  /**
   * RFC 6665 §4.1.2.4: a NOTIFY may reach the subscriber before the 2xx to its SUBSCRIBE; it
   * creates the dialog then. Its To tag is the subscriber's From tag, its From tag the notifier's.
   */
  private dialogFromNotify(call: CallState, m: SipMessage, fromTag: number, toTag: number): DialogState | null {
    if (fromTag === NONE || toTag === NONE) return null;
    let subscribe: TxnState | null = null;
    for (let t = call.firstTxn; t !== null; t = t.next) {
      if (!t.inDialog && (t.method === 'SUBSCRIBE' || t.method === 'REFER') && t.fromTag === toTag) {
        subscribe = t;
        break;
      }
    }
    if (subscribe === null) return null;
    const d = this.createDialog(call, subscribe.fromTag, fromTag, subscribe.method, m.id, subscribe);
    d.confirmedBy = m.id;
    subscribe.dialog ??= d;
    return d;
  }

  /**
   * An ACK to a non-2xx final is part of the INVITE transaction (same branch, §17.1.1.3); an ACK
   * to a 2xx is a transaction of its own that is never answered (§13.2.2.4), listed as the ack of
   * the INVITE it confirms. Through a proxy the same ACK crosses every hop: each copy goes to
   * the hop on which its sender got the 2xx.
   */
  private addAck(call: CallState, m: SipMessage, fromTag: number, toTag: number): void {
    const sameBranch = this.requestTxn(call, m, 'INVITE', fromTag);
    let txn: TxnState | null = null;
    let ackFor: '2xx' | 'non-2xx' = 'non-2xx';
    if (sameBranch !== null && sameBranch.finalStatus !== null) {
      txn = sameBranch;
      ackFor = sameBranch.finalStatus >= 300 ? 'non-2xx' : '2xx';
    } else {
      txn = this.ackedInvite(call, m, fromTag, toTag);
      if (txn !== null) ackFor = '2xx';
      else {
        txn = this.nonTwoXxAckWithNewBranch(call, m, fromTag, toTag);
        if (txn === null) {
          // the INVITE it acknowledges is not in the capture
          this.dialog = this.findDialog(call, fromTag, toTag)?.id ?? NONE;
          return;
        }
      }
    }
    const firstAck = txn.firstAck;
    if (firstAck !== null && this.log.srcNumber(firstAck) === this.log.srcNumber(m.id)) this.log.setRetransmissionOf(m.id, firstAck);
    txn.firstAck ??= m.id;
    this.appendToTxn(txn, m.id);
    txn.ackFor = ackFor;
    this.dialog = (this.findDialog(call, fromTag, toTag) ?? txn.dialog)?.id ?? NONE;
  }

  /**
   * The INVITE transaction this ACK copy confirms: same CSeq number and From tag (either side may
   * send a re-INVITE, each in its own CSeq space), answered 2xx; on a proxied call, the hop whose
   * 2xx went to the ACK's sender, else came from its destination, else carried its To tag.
   */
  private ackedInvite(call: CallState, m: SipMessage, fromTag: number, toTag: number): TxnState | null {
    const log = this.log;
    const src = log.srcNumber(m.id);
    const dst = log.dstNumber(m.id);
    let bySender: TxnState | null = null;
    let byReceiver: TxnState | null = null;
    let byTag: TxnState | null = null;
    let any: TxnState | null = null;
    for (const t of call.inviteTxns()) {
      if (t.cseqSeq !== m.cseqSeq || t.fromTag !== fromTag || t.firstSuccess === null) continue;
      any = t;
      for (let r = t.firstResponse!; r !== NONE; r = log.nextInTransaction(r)) {
        const status = log.status(r);
        if (status < 200 || status >= 300) continue;
        if (log.dstNumber(r) === src) bySender = t;
        if (log.srcNumber(r) === dst) byReceiver = t;
        if (log.toTag(r) === toTag) byTag = t;
      }
    }
    return bySender ?? byReceiver ?? byTag ?? any;
  }

  /** An ACK to a non-2xx sent with a new branch (against §17.1.1.3): matched on CSeq and the final's To tag. */
  private nonTwoXxAckWithNewBranch(call: CallState, m: SipMessage, fromTag: number, toTag: number): TxnState | null {
    let match: TxnState | null = null;
    for (const t of call.inviteTxns()) {
      if (t.cseqSeq === m.cseqSeq && t.fromTag === fromTag && t.final !== null && t.finalStatus! >= 300 && this.log.toTag(t.final) === toTag) match = t;
    }
    return match;
  }

  private addResponse(call: CallState, m: SipMessage, fromTag: number, toTag: number): void {
    const status = m.status;
    if (status === null || m.cseqMethod === null) return;
    const txn = this.responseTxn(call, m, m.cseqMethod, fromTag);
    if (txn === null) {
      // its request is not in the capture (or precedes it): the dialog may still be known
      this.dialog = this.findDialog(call, fromTag, toTag)?.id ?? NONE;
      return;
    }
    this.appendToTxn(txn, m.id);

    const first = this.earlierCopy(txn, status, toTag, m.rseq);
    if (first !== NONE) {
      txn.responseRetransmissions++;
      this.retransmissions++;
      this.log.setRetransmissionOf(m.id, first);
      this.dialog = this.responseDialog(call, txn, toTag);
      return;
    }
    this.log.setPreviousFirstCopy(m.id, txn.lastFirstCopy ?? NONE);
    txn.lastFirstCopy = m.id;
    if (m.rseq !== null) this.log.setRseq(m.id, m.rseq);

    txn.firstResponse ??= m.id;
    if ((status === 180 || status === 183) && txn.firstAlerting === null) txn.firstAlerting = m.id;
    if (status >= 200 && status < 300 && txn.firstSuccess === null) txn.firstSuccess = m.id;
    if (status >= 200 && txn.final === null) this.noteFinal(txn, m, status);

    if (!txn.inDialog && DIALOG_CREATING.has(txn.method) && toTag !== NONE && status >= 101 && status < 300 && txn.fromTag !== NONE) {
      this.dialogFromResponse(call, txn, m, status, toTag);
    } else if (txn.inDialog && txn.dialog !== null) {
      this.inDialogResponse(txn.dialog, txn, m, status);
    }
    if (status >= 300 && !txn.inDialog) {
      // §12.1 / §13.2.2.3: a final failure ends the early dialogs of the request
      for (let d = call.firstDialog; d !== null; d = d.next) if (d.creator === txn && d.confirmedBy === null) d.ended = true;
    }
    this.dialog = this.responseDialog(call, txn, toTag);
  }

  private noteFinal(txn: TxnState, m: SipMessage, status: number): void {
    txn.final = m.id;
    txn.finalStatus = status;
    txn.finalReason = this.strings.intern(m.reason);
    const register = txn.method === 'REGISTER';
    const challenge = status === 401 || status === 407;
    const realm = challenge ? m.authRealm : null;
    const expires = register ? (m.contactExpires ?? m.expires) : null;
    const minExpires = register ? m.minExpires : null;
    if (m.retryAfter === null && realm === null && expires === null && minExpires === null && !(register && challenge)) return;
    const details = txn.detailsForWriting();
    details.finalRetryAfter = m.retryAfter;
    details.finalMinExpires = minExpires;
    details.finalExpires = expires;
    details.challengeRealm = this.strings.intern(realm);
    details.challengeNonce = register && challenge ? m.authNonce : null;
  }

  /** The first copy of an earlier response with the same status and To tag (and RSeq: RFC 3262 §3 numbers each reliable provisional), else NONE. */
  private earlierCopy(txn: TxnState, status: number, toTag: number, rseq: number | null): number {
    const log = this.log;
    let match = NONE;
    for (let c = txn.lastFirstCopy ?? NONE; c !== NONE; c = log.previousFirstCopy(c)) {
      if (log.status(c) === status && log.toTag(c) === toTag && log.rseq(c) === rseq) match = c;
    }
    return match;
  }

  /** The dialog a response belongs to: its transaction's inside a dialog, else the one its To tag names (none for a 100 or a failure). */
  private responseDialog(call: CallState, txn: TxnState, toTag: number): number {
    if (txn.inDialog) return txn.dialog?.id ?? NONE;
    return this.findDialog(call, txn.fromTag, toTag)?.id ?? NONE;
  }

  /** §12.1.1: a 101-299 response with a To tag to INVITE / SUBSCRIBE / REFER outside a dialog creates one (early, or confirmed by a 2xx). */
  private dialogFromResponse(call: CallState, txn: TxnState, m: SipMessage, status: number, toTag: number): void {
    let d = this.findDialog(call, txn.fromTag, toTag);
    if (d === null) d = this.createDialog(call, txn.fromTag, toTag, txn.method, m.id, txn);
    if (status >= 200 && d.confirmedBy === null) {
      d.confirmedBy = m.id;
      this.startSessionTimer(d, m);
    }
    // the transaction's dialog: the first confirmed one, else the first early one (forks)
    if (txn.dialog === null || (txn.dialog.confirmedBy === null && d.confirmedBy !== null)) txn.dialog = d;
  }

  private inDialogResponse(dialog: DialogState, txn: TxnState, m: SipMessage, status: number): void {
    // §12.2.1.2: a 481 or 408 to a request inside a dialog ends the dialog
    if (status === 481 || status === 408) dialog.ended = true;
    // RFC 4028 §10: a 2xx to a re-INVITE or UPDATE refreshes the session
    if (status >= 200 && status < 300 && (txn.method === 'INVITE' || txn.method === 'UPDATE')) this.startSessionTimer(dialog, m);
  }

  /** RFC 4028 §7.2 / §9: the Session-Expires of the 2xx sets the interval; a 2xx without one turns the timer off. */
  private startSessionTimer(dialog: DialogState, m: SipMessage): void {
    if (dialog.method !== 'INVITE') return;
    const previous = dialog.refreshedBy;
    if (previous !== null && dialog.sessionExpires !== null && dialog.sessionExpires > 0 && this.log.time(m.id) > this.log.time(previous) + dialog.sessionExpires) {
      (dialog.lateRefreshes ??= []).push({ setBy: previous, interval: dialog.sessionExpires, refresh: m.id });
    }
    dialog.sessionExpires = m.sessionExpires;
    dialog.refreshedBy = m.id;
  }
}
