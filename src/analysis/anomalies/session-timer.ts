// RFC 4028 session timers: a session whose Session-Expires passed without a refresh.
import { NONE } from '../message-log.js';
import { seconds } from '../wording.js';
import * as facts from './facts.js';
import { at, type AnomalyKind, type Finding, type RuleContext, type RuleFamily } from './types.js';

export const SESSION_REFRESH_MISSED: AnomalyKind = {
  kind: 'session-refresh-missed',
  severity: 'warning',
  title: 'Session refresh missed',
  reference: 'RFC 4028 §10',
};

const ADVICE =
  ' The refresher (the refresher parameter says which side) should refresh at half the interval; once the session expires either side may end the call with BYE. ' +
  "Check the refresher's session-timer support and whether its refresh requests reach the other side.";

/**
 * Raised for every refresh that came after the running interval had run out, and at the end
 * when the capture runs past the expiry of the last interval with the dialog still up (no BYE
 * before the expiry).
 */
function missedRefreshes(ctx: RuleContext, report: (f: Finding) => void): void {
  const { log, end, dialogTable: dialogs } = ctx;
  for (const d of ctx.dialogs) {
    for (const late of dialogs.lateRefreshes(d) ?? []) {
      report({
        kind: SESSION_REFRESH_MISSED,
        subject: dialogs.id(d),
        callId: ctx.call.callId,
        messages: [late.setBy, late.refresh],
        explanation:
          `The session was set to expire ${late.interval} s after ${at(log, late.setBy)} (Session-Expires), ` +
          `but the next refresh was answered only ${seconds(log.time(late.refresh) - log.time(late.setBy))} s later (${at(log, late.refresh)}), after the session had expired.${ADVICE}`,
      });
    }
    const setBy = dialogs.refreshedBy(d);
    const interval = dialogs.sessionExpires(d);
    if (interval === null || setBy === NONE || interval <= 0) continue;
    const expiry = log.time(setBy) + interval;
    if (end <= expiry) continue;
    const terminatedBy = dialogs.terminatedBy(d);
    if (terminatedBy === NONE && dialogs.ended(d)) continue;
    if (terminatedBy !== NONE && log.time(terminatedBy) <= expiry) continue;
    const start = `The session was set to expire ${interval} s after ${at(log, setBy)} (Session-Expires), `;
    report({
      kind: SESSION_REFRESH_MISSED,
      subject: dialogs.id(d),
      callId: ctx.call.callId,
      messages: terminatedBy === NONE ? [setBy] : [setBy, terminatedBy],
      explanation:
        (terminatedBy === NONE
          ? `${start}but the capture ran on for ${seconds(end - log.time(setBy))} s with neither a refresh (re-INVITE or UPDATE) nor a BYE.`
          : `${start}but nothing refreshed it and the BYE came only after the expiry (${at(log, terminatedBy)}).`) + ADVICE,
    });
  }
}

export const sessionTimerRules: RuleFamily = {
  kinds: [SESSION_REFRESH_MISSED],
  rules: [{ when: facts.SESSION_TIMER, run: missedRefreshes }],
};
