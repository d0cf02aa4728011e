// The streaming part of the analysis: each message is matched to its call, its transaction
// (RFC 3261 §17.1.3 / §17.2.3), its dialog (§12) and, when it repeats an earlier copy, marked
// as a retransmission, with a constant number of map lookups per message.
import type { SdpSummary, SipMessage } from '../model.js';
import { isHoldSdp } from '../sip/sdp.js';
import { Interner, MessageLog } from './message-log.js';
import { BRANCH_COOKIE, CallState, DIALOG_CREATING, DialogState, TxnState, type ResponseCopies } from './state.js';

export interface MessageLink {
  transaction: number | null;
  dialog: number | null;
  retransmissionOf: number | null;
}

export interface MalformedMessage {
  id: number;
  callId: string | null;
  reason: string;
}

/** RFC 3261 §17.1.3: responses match on branch + CSeq method; RFC 2543 ones on the whole request key. */
function isRfc3261Branch(branch: string | null): branch is string {
  return branch !== null && branch.startsWith(BRANCH_COOKIE);
}

/** §17.2.3 for an RFC 2543 request (no cookie): Call-ID + CSeq number + From tag + sent-by + method. */
function rfc2543Key(callId: string, cseqSeq: number | null, fromTag: string | null, sentBy: string | null, method: string): string {
  return `${callId}\u0000${cseqSeq}\u0000${fromTag}\u0000${sentBy}\u0000${method}`;
}

/** The o= line without its session version (which changes with every new offer): one key per SDP sender. */
function sdpSenderKey(sdp: SdpSummary, src: string): string {
  if (sdp.origin === null) return src;
  const fields = sdp.origin.split(' ');
  if (fields.length > 2) fields.splice(2, 1);
  return fields.join(' ');
}

function isSubscriptionEnd(state: string | null): boolean {
  return state !== null && state.trimStart().toLowerCase().startsWith('terminated');
}

export class CallTracker {
  readonly log = new MessageLog();
  readonly calls: CallState[] = [];
  readonly txns: TxnState[] = [];
  readonly dialogs: DialogState[] = [];
  readonly links: MessageLink[] = [];
  readonly malformed: MalformedMessage[] = [];
  /** UDP messages above the size limit that belong to no call (no Call-ID). */
  readonly oversizedWithoutCall: number[] = [];
  readonly requestCounts = new Map<string, number>();
  readonly responseCounts = new Map<number, number>();
  /** Retransmitted requests and responses (ACK copies aside, as tshark's sip,stat counts). */
  retransmissions = 0;

  private readonly strings = new Interner();
  private readonly callsById = new Map<string, CallState>();
  /**
   * Transactions by top Via branch, newest first along TxnState.sameBranch: lookups hash the
   * branch string once and compare the rest, with no key string built per message.
   */
  private readonly byBranch = new Map<string, TxnState>();
  private readonly byRfc2543Key = new Map<string, TxnState>();
  /** Dialogs by To tag (the tag the UAS chose), further ones along DialogState.sameToTag. */
  private readonly dialogsByToTag = new Map<string, DialogState>();

  constructor(private readonly udpMaxMessageBytes: number) {}

  add(m: SipMessage): void {
    const src = this.strings.intern(m.src);
    const dst = this.strings.intern(m.dst);
    const method = m.isRequest ? this.strings.intern(m.method) : null;
    const status = m.isRequest ? 0 : (m.status ?? 0);
    const toTag = this.strings.intern(m.toTag);
    this.log.add(m.id, m.ts, status, method, src, dst, toTag, m.transport, m.size);
    const link: MessageLink = { transaction: null, dialog: null, retransmissionOf: null };
    this.links[m.id] = link;

    if (m.isRequest && method !== null) this.requestCounts.set(method, (this.requestCounts.get(method) ?? 0) + 1);
    else if (!m.isRequest && m.status !== null) this.responseCounts.set(m.status, (this.responseCounts.get(m.status) ?? 0) + 1);

    const call = m.callId === null ? null : this.callOf(m);
    if (m.malformed !== null) this.malformed.push({ id: m.id, callId: call?.callId ?? null, reason: m.malformed });
    if (m.transport === 'UDP' && m.size > this.udpMaxMessageBytes) {
      if (call === null) this.oversizedWithoutCall.push(m.id);
      else (call.oversized ??= []).push(m.id);
    }
    if (call === null) return;

    call.messages.push(m.id);
    call.lastMessage = m.id;
    call.endpoints.add(src);
    call.endpoints.add(dst);
    if (m.xCallId !== null) (call.xCallIds ??= new Set()).add(m.xCallId);
    if (m.icid !== null) (call.icids ??= new Set()).add(m.icid);
    if (m.sdp !== null) this.noteSdp(call, m);

    if (m.isRequest) {
      if (method === null) return;
      if (call.opening === null) {
        call.opening = {
          method,
          fromUri: m.fromUri,
          fromDisplay: m.fromDisplay,
          fromTag: m.fromTag,
          toUri: m.toUri,
          toDisplay: m.toDisplay,
          toTag: m.toTag,
          requestId: m.id,
        };
      }
      if (method === 'ACK') this.addAck(call, m, link);
      else this.addRequest(call, m, method, link);
    } else {
      this.addResponse(call, m, link);
    }
  }

  private callOf(m: SipMessage): CallState {
    let call = this.callsById.get(m.callId!);
    if (call === undefined) {
      call = new CallState(this.calls.length, m.callId!, m.id);
      this.callsById.set(call.callId, call);
      this.calls.push(call);
    }
    return call;
  }

  private noteSdp(call: CallState, m: SipMessage): void {
    const sdp = m.sdp!;
    call.media.set(sdpSenderKey(sdp, m.src), sdp.media);
    if (call.firstOfferCodecs === null && m.isRequest) call.firstOfferCodecs = sdp.media.flatMap((s) => s.codecs);
    // RFC 3264 §8.4: hold is offered in a new offer inside the session (re-INVITE or UPDATE)
    if (m.isRequest && m.toTag !== null && (m.method === 'INVITE' || m.method === 'UPDATE') && call.holdOffer === null && isHoldSdp(sdp)) {
      call.holdOffer = m.id;
    }
  }

  /**
   * The dialog of §12 (Call-ID + both tags) a message with these tags belongs to, whichever side
   * sent it: its From / To tags are the dialog's own in requests of the caller, swapped in the callee's.
   */
  private findDialog(call: CallState, tagA: string | null, tagB: string | null): DialogState | null {
    if (tagA === null || tagB === null) return null;
    for (let d = this.dialogsByToTag.get(tagB) ?? null; d !== null; d = d.sameToTag) {
      if (d.call === call && d.fromTag === tagA) return d;
    }
    for (let d = this.dialogsByToTag.get(tagA) ?? null; d !== null; d = d.sameToTag) {
      if (d.call === call && d.fromTag === tagB) return d;
    }
    return null;
  }

  /** The transaction a request belongs to (§17.2.3): branch + sent-by + method, and the same CSeq number. */
  private requestTxn(call: CallState, m: SipMessage, method: string): TxnState | null {
    if (!isRfc3261Branch(m.branch)) return this.byRfc2543Key.get(rfc2543Key(call.callId, m.cseqSeq, m.fromTag, m.sentBy, method)) ?? null;
    for (let t = this.byBranch.get(m.branch) ?? null; t !== null; t = t.sameBranch) {
      if (t.call === call && t.method === method && t.sentBy === m.sentBy && t.cseqSeq === m.cseqSeq) return t;
    }
    return null;
  }

  /** The client transaction a response belongs to (§17.1.3): branch + CSeq method (sent-by is the same Via). */
  private responseTxn(call: CallState, m: SipMessage, cseqMethod: string): TxnState | null {
    if (!isRfc3261Branch(m.branch)) return this.byRfc2543Key.get(rfc2543Key(call.callId, m.cseqSeq, m.fromTag, m.sentBy, cseqMethod)) ?? null;
    for (let t = this.byBranch.get(m.branch) ?? null; t !== null; t = t.sameBranch) {
      if (t.call === call && t.method === cseqMethod && t.cseqSeq === m.cseqSeq) return t;
    }
    return null;
  }

  private indexTxn(txn: TxnState, m: SipMessage): void {
    if (isRfc3261Branch(txn.branch)) {
      txn.sameBranch = this.byBranch.get(txn.branch) ?? null;
      this.byBranch.set(txn.branch, txn);
    } else {
      this.byRfc2543Key.set(rfc2543Key(txn.call.callId, m.cseqSeq, m.fromTag, m.sentBy, txn.method), txn);
    }
  }

  private createDialog(call: CallState, fromTag: string, toTag: string, method: string, createdBy: number): DialogState {
    const d = new DialogState(this.dialogs.length, call, fromTag, this.strings.intern(toTag), method, createdBy);
    this.dialogs.push(d);
    call.dialogs.push(d);
    d.sameToTag = this.dialogsByToTag.get(d.toTag) ?? null;
    this.dialogsByToTag.set(d.toTag, d);
    return d;
  }

  private addRequest(call: CallState, m: SipMessage, method: string, link: MessageLink): void {
    const known = this.requestTxn(call, m, method);
    // A copy matching the transaction is a retransmission (§17.2.3); a proxy's copy has its own branch.
    if (known !== null) {
      known.requests.push(m.id);
      link.transaction = known.id;
      link.dialog = known.dialog?.id ?? null;
      link.retransmissionOf = known.requests[0]!;
      this.retransmissions++;
      return;
    }
    const txn = new TxnState(
      this.txns.length,
      call,
      method,
      m.cseq ?? `${m.cseqSeq ?? ''} ${method}`.trim(),
      m.cseqSeq,
      m.branch,
      this.strings.intern(m.sentBy),
      this.strings.intern(m.fromTag),
      m.toTag !== null,
      m.transport,
      m.hasCredentials,
      m.contactExpires ?? m.expires,
      m.contactUri,
      m.hasCredentials ? m.authNonce : null,
    );
    txn.requests.push(m.id);
    this.txns.push(txn);
    call.txns.push(txn);
    this.indexTxn(txn, m);
    link.transaction = txn.id;
    if (method === 'INVITE') call.invites.push(txn);
    if (method === 'CANCEL') {
      // §9.1: the CANCEL carries the branch of the request it cancels
      txn.cancels = this.requestTxn(call, m, 'INVITE');
    }
    if (txn.inDialog) this.addInDialogRequest(call, m, method, txn, link);
  }

  private addInDialogRequest(call: CallState, m: SipMessage, method: string, txn: TxnState, link: MessageLink): void {
    let dialog = this.findDialog(call, m.fromTag, m.toTag);
    if (dialog === null && method === 'NOTIFY') dialog = this.dialogFromNotify(call, m);
    if (dialog === null) return;
    txn.dialog = dialog;
    link.dialog = dialog.id;
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
  private dialogFromNotify(call: CallState, m: SipMessage): DialogState | null {
    if (m.fromTag === null || m.toTag === null) return null;
    let subscribe: TxnState | null = null;
    for (const t of call.txns) {
      if (!t.inDialog && (t.method === 'SUBSCRIBE' || t.method === 'REFER') && t.fromTag === m.toTag) {
        subscribe = t;
        break;
      }
    }
    if (subscribe === null) return null;
    const d = this.createDialog(call, subscribe.fromTag!, m.fromTag, subscribe.method, m.id);
    d.confirmedBy = m.id;
    subscribe.dialog ??= d;
    (subscribe.created ??= []).push(d);
    return d;
  }

  /**
   * An ACK to a non-2xx final is part of the INVITE transaction (same branch, §17.1.1.3); an ACK
   * to a 2xx is a transaction of its own that is never answered (§13.2.2.4), listed as the ack of
   * the INVITE it confirms. Through a proxy the same ACK crosses every hop: each copy goes to
   * the hop on which its sender got the 2xx.
   */
  private addAck(call: CallState, m: SipMessage, link: MessageLink): void {
    const sameBranch = this.requestTxn(call, m, 'INVITE');
    let txn: TxnState | null = null;
    let ackFor: '2xx' | 'non-2xx' = 'non-2xx';
    if (sameBranch !== null && sameBranch.finalStatus !== null) {
      txn = sameBranch;
      ackFor = sameBranch.finalStatus >= 300 ? 'non-2xx' : '2xx';
    } else {
      txn = this.ackedInvite(call, m);
      if (txn !== null) ackFor = '2xx';
      else {
        txn = this.nonTwoXxAckWithNewBranch(call, m);
        if (txn === null) {
          // the INVITE it acknowledges is not in the capture
          link.dialog = this.findDialog(call, m.fromTag, m.toTag)?.id ?? null;
          return;
        }
      }
    }
    const firstAck = txn.ack[0];
    if (firstAck !== undefined && this.log.src(firstAck) === m.src) link.retransmissionOf = firstAck;
    txn.ack.push(m.id);
    txn.ackFor = ackFor;
    link.transaction = txn.id;
    link.dialog = (this.findDialog(call, m.fromTag, m.toTag) ?? txn.dialog)?.id ?? null;
  }

  /**
   * The INVITE transaction this ACK copy confirms: same CSeq number and From tag (either side may
   * send a re-INVITE, each in its own CSeq space), answered 2xx; on a proxied call, the hop whose
   * 2xx went to the ACK's sender, else came from its destination, else carried its To tag.
   */
  private ackedInvite(call: CallState, m: SipMessage): TxnState | null {
    let bySender: TxnState | null = null;
    let byReceiver: TxnState | null = null;
    let byTag: TxnState | null = null;
    let any: TxnState | null = null;
    for (const t of call.invites) {
      if (t.cseqSeq !== m.cseqSeq || t.fromTag !== m.fromTag || t.firstSuccess === null) continue;
      any = t;
      for (const r of t.responses) {
        const status = this.log.status(r);
        if (status < 200 || status >= 300) continue;
        if (this.log.dst(r) === m.src) bySender = t;
        if (this.log.src(r) === m.dst) byReceiver = t;
        if (this.log.toTag(r) === m.toTag) byTag = t;
      }
    }
    return bySender ?? byReceiver ?? byTag ?? any;
  }

  /** An ACK to a non-2xx sent with a new branch (against §17.1.1.3): matched on CSeq and the final's To tag. */
  private nonTwoXxAckWithNewBranch(call: CallState, m: SipMessage): TxnState | null {
    let match: TxnState | null = null;
    for (const t of call.invites) {
      if (t.cseqSeq === m.cseqSeq && t.fromTag === m.fromTag && t.final !== null && t.finalStatus! >= 300 && this.log.toTag(t.final) === m.toTag) match = t;
    }
    return match;
  }

  private addResponse(call: CallState, m: SipMessage, link: MessageLink): void {
    const status = m.status;
    if (status === null || m.cseqMethod === null) return;
    const txn = this.responseTxn(call, m, m.cseqMethod);
    if (txn === null) {
      // its request is not in the capture (or precedes it): the dialog may still be known
      link.dialog = this.findDialog(call, m.fromTag, m.toTag)?.id ?? null;
      return;
    }
    link.transaction = txn.id;
    txn.responses.push(m.id);

    const copies = this.earlierCopies(txn, status, m);
    if (copies !== null) {
      copies.ids.push(m.id);
      txn.responseRetransmissions++;
      this.retransmissions++;
      link.retransmissionOf = copies.ids[0]!;
      link.dialog = this.responseDialog(call, txn, m);
      return;
    }
    txn.copies.push({ status, toTag: this.log.toTag(m.id), rseq: m.rseq, ids: [m.id] });

    txn.firstResponse ??= m.id;
    if ((status === 180 || status === 183) && txn.firstAlerting === null) txn.firstAlerting = m.id;
    if (status >= 200 && status < 300 && txn.firstSuccess === null) txn.firstSuccess = m.id;
    if (status >= 200 && txn.final === null) {
      txn.final = m.id;
      txn.finalStatus = status;
      txn.finalReason = m.reason;
      txn.finalRetryAfter = m.retryAfter;
      txn.finalMinExpires = m.minExpires;
      txn.finalExpires = m.contactExpires ?? m.expires;
      if (status === 401 || status === 407) {
        txn.challengeRealm = m.authRealm;
        txn.challengeNonce = m.authNonce;
      }
    }

    if (!txn.inDialog && DIALOG_CREATING.has(txn.method) && m.toTag !== null && status >= 101 && status < 300 && txn.fromTag !== null) {
      this.dialogFromResponse(call, txn, m, status);
    } else if (txn.inDialog && txn.dialog !== null) {
      this.inDialogResponse(txn.dialog, txn, m, status);
    }
    if (status >= 300 && txn.created !== null && !txn.inDialog) {
      // §12.1 / §13.2.2.3: a final failure ends the early dialogs of the request
      for (const d of txn.created) if (d.confirmedBy === null) d.ended = true;
    }
    link.dialog = this.responseDialog(call, txn, m);
  }

  /** A further copy of a response has the same status and To tag (and RSeq: RFC 3262 §3 numbers each reliable provisional). */
  private earlierCopies(txn: TxnState, status: number, m: SipMessage): ResponseCopies | null {
    for (const c of txn.copies) if (c.status === status && c.toTag === m.toTag && c.rseq === m.rseq) return c;
    return null;
  }

  /** The dialog a response belongs to: its transaction's inside a dialog, else the one its To tag names (none for a 100 or a failure). */
  private responseDialog(call: CallState, txn: TxnState, m: SipMessage): number | null {
    if (txn.inDialog) return txn.dialog?.id ?? null;
    return this.findDialog(call, txn.fromTag, m.toTag)?.id ?? null;
  }

  /** §12.1.1: a 101-299 response with a To tag to INVITE / SUBSCRIBE / REFER outside a dialog creates one (early, or confirmed by a 2xx). */
  private dialogFromResponse(call: CallState, txn: TxnState, m: SipMessage, status: number): void {
    let d = this.findDialog(call, txn.fromTag, m.toTag);
    if (d === null) {
      d = this.createDialog(call, txn.fromTag!, m.toTag!, txn.method, m.id);
      (txn.created ??= []).push(d);
    }
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
