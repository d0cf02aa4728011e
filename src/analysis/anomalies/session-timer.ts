// RFC 4028 session timers: a session whose Session-Expires passed without a refresh.
import { seconds } from '../wording.js';
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
  const { log, end } = ctx;
  for (const d of ctx.dialogs) {
    for (const late of d.lateRefreshes ?? []) {
      report({
        kind: SESSION_REFRESH_MISSED,
        subject: d.id,
        callId: d.call.callId,
        messages: [late.setBy, late.refresh],
        explanation:
          `The session was set to expire ${late.interval} s after ${at(log, late.setBy)} (Session-Expires), ` +
          `but the next refresh was answered only ${seconds(log.time(late.refresh) - log.time(late.setBy))} s later (${at(log, late.refresh)}), after the session had expired.${ADVICE}`,
      });
    }
    const setBy = d.refreshedBy;
    if (d.sessionExpires === null || setBy === null || d.sessionExpires <= 0) continue;
    const expiry = log.time(setBy) + d.sessionExpires;
    if (end <= expiry) continue;
    if (d.terminatedBy === null && d.ended) continue;
    if (d.terminatedBy !== null && log.time(d.terminatedBy) <= expiry) continue;
    const bye = d.terminatedBy;
    const start = `The session was set to expire ${d.sessionExpires} s after ${at(log, setBy)} (Session-Expires), `;
    report({
      kind: SESSION_REFRESH_MISSED,
      subject: d.id,
      callId: d.call.callId,
      messages: bye === null ? [setBy] : [setBy, bye],
      explanation:
        (bye === null
          ? `${start}but the capture ran on for ${seconds(end - log.time(setBy))} s with neither a refresh (re-INVITE or UPDATE) nor a BYE.`
          : `${start}but nothing refreshed it and the BYE came only after the expiry (${at(log, bye)}).`) + ADVICE,
    });
  }
}

export const sessionTimerRules: RuleFamily = {
  kinds: [SESSION_REFRESH_MISSED],
  rules: [missedRefreshes],
};
