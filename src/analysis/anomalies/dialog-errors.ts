// Responses that say the two sides disagree about the dialog or the route: 481 (state lost),
// 491 (glare), 482 / 483 (loops), and a CANCEL that crossed the answer.
import { hasResponseWith, responseCopies } from '../lists.js';
import { NONE } from '../message-log.js';
import { CANCEL } from '../methods.js';
import * as facts from './facts.js';
import { at, clockOf, finalName, requestName, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const CALL_LEG_UNKNOWN: AnomalyKind = {
  kind: 'call-leg-unknown',
  severity: 'warning',
  title: '481 Call/Transaction Does Not Exist',
  reference: 'RFC 3261 §21.4.19, §12.2.2',
};

export const GLARE: AnomalyKind = {
  kind: 'glare',
  severity: 'warning',
  title: '491 Request Pending (glare)',
  reference: 'RFC 3261 §14.1, §21.4.27',
};

export const LOOP_DETECTED: AnomalyKind = {
  kind: 'loop-detected',
  severity: 'error',
  title: 'Loop detected',
  reference: 'RFC 3261 §16.3, §21.4.20, §21.4.21',
};

export const CANCEL_AFTER_ANSWER: AnomalyKind = {
  kind: 'cancel-after-answer',
  severity: 'info',
  title: 'CANCEL crossed the answer',
  reference: 'RFC 3261 §9.1',
};

function explainResponse(t: number, id: number, ctx: RuleContext): string {
  const { log, txnTable: txns } = ctx;
  const status = log.status(id);
  const reason = txns.final(t) !== NONE && status === txns.finalStatus(t) ? txns.finalReason(t) : null;
  const head = `The ${requestName(log, txns, t)} sent at ${clockOf(log, txns.firstRequest(t))} was answered ${status}${reason ? ` ${reason}` : ''} by ${log.src(id)} at ${clockOf(log, id)}. `;
  if (status === 481) {
    return (
      head +
      `The receiver knows no dialog or transaction for it: one side lost the call's state (a restart, a timeout, a BYE it already processed) or the request's tags or Call-ID were changed on the way. ` +
      `Inside a dialog the sender must consider the dialog ended (§12.2.1.2). Check for a restart of ${log.src(id)} and for proxies or SBCs that rewrite tags.`
    );
  }
  if (status === 491) {
    return (
      head +
      `Both sides sent an offer at the same time (glare). Each must retry after a random delay: the side that chose the Call-ID after 2.1-4 s, the other after 0-2 s (§14.1). ` +
      `An occasional 491 is harmless; repeated ones mean the retry timers are not random.`
    );
  }
  return (
    head +
    (status === 482
      ? `A proxy received the request it had already forwarded: the routing sends it in a circle. `
      : `Max-Forwards reached 0: the request passed too many hops, usually a routing loop. `) +
    `Check the proxies' routes for this destination (a default route pointing back, a DNS record naming the sender itself).`
  );
}

function kindOf(status: number): AnomalyKind | null {
  return status === 481 ? CALL_LEG_UNKNOWN : status === 491 ? GLARE : status === 482 || status === 483 ? LOOP_DETECTED : null;
}

function dialogErrorResponses(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, txnTable: txns } = ctx;
  for (const t of ctx.txns) {
    if (!hasResponseWith(txns, t, log, (status) => kindOf(status) !== null)) continue;
    for (const c of responseCopies(txns, t, log)) {
      const kind = kindOf(c.status);
      if (kind === null) continue;
      report({ kind, subject: txns.id(t), callId: ctx.call.callId, messages: [txns.firstRequest(t), c.ids[0]!], explanation: explainResponse(t, c.ids[0]!, ctx) });
    }
  }
}

/** §9.1: a CANCEL has no effect on an INVITE already answered 2xx; the caller must then end the call with BYE. */
function cancelAfterAnswer(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, txnTable: txns, dialogTable: dialogs } = ctx;
  for (const cancel of ctx.txns) {
    const invite = txns.cancels(cancel);
    if (txns.method(cancel) !== CANCEL || invite === NONE || txns.firstSuccess(invite) === NONE) continue;
    const answer = txns.firstSuccess(invite);
    const cancelId = txns.firstRequest(cancel);
    const order = log.time(cancelId) > log.time(answer) ? 'after the INVITE had been answered' : 'while the answer was on its way';
    const dialog = txns.dialog(invite);
    const terminatedBy = dialog === NONE ? NONE : dialogs.terminatedBy(dialog);
    const bye = terminatedBy === NONE ? null : terminatedBy;
    report({
      kind: CANCEL_AFTER_ANSWER,
      subject: txns.id(cancel),
      callId: ctx.call.callId,
      messages: bye === null ? [cancelId, answer] : [cancelId, answer, bye],
      explanation:
        `The CANCEL at ${clockOf(log, cancelId)} was sent ${order} (${at(log, answer)}): a CANCEL cannot undo an answered INVITE` +
        (txns.final(cancel) !== NONE ? ` (it was answered ${finalName(txns, cancel)})` : '') +
        `, so the callee was connected although the caller had hung up. ` +
        (bye === null
          ? 'No BYE followed in the capture: the caller should have ended the call with BYE after the 2xx; check that it does, or the callee stays connected until a timer ends the call.'
          : `The call was then ended with a BYE (${at(log, bye)}), as it should be.`),
    });
  }
}

export const dialogErrorRules: RuleFamily = {
  kinds: [CALL_LEG_UNKNOWN, GLARE, LOOP_DETECTED, CANCEL_AFTER_ANSWER],
  rules: [
    { when: facts.DIALOG_ERROR, run: dialogErrorResponses },
    { when: facts.CANCEL, run: cancelAfterAnswer },
  ],
};
