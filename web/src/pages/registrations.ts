// Registration review: every registering AoR with its attempts as a small timeline
// (REGISTER -> 401 -> REGISTER -> 200 / 403 ...), the outcome, expiry, and the plain
// explanation of each failure. Failures first.
import { callPath, getJson, getKnowledge, type Scope } from '../api.js';
import { setActions, setCrumbs } from '../chrome.js';
import { errorBox, h, link, replaceChildren } from '../dom.js';
import { formatCount } from '../format.js';
import type { Cleanup } from '../router.js';
import type { PageContext } from '../main.js';
import type { Knowledge, Registration, RegistrationAttempt } from '../types.js';
import { captureHeading, outcomeBadge, shareButton } from './common.js';

const FAILURE_FIRST: Record<string, number> = { failed: 0, 'no-final-response': 1, pending: 2, unregistered: 3, registered: 4 };

/** A 401/407 that the UA answers with credentials is the normal first half of digest authentication, not a failure. */
function isChallenge(a: RegistrationAttempt): boolean {
  return a.challenged && (a.finalStatus === 401 || a.finalStatus === 407);
}

function statusClass(a: RegistrationAttempt): string {
  if (a.finalStatus === null) return 'c-none';
  if (isChallenge(a)) return 'c-1xx';
  return a.finalStatus >= 400 ? 'c-4xx' : `c-${Math.floor(a.finalStatus / 100)}xx`;
}

function attemptSteps(scope: Scope, r: Registration, a: RegistrationAttempt, knowledge: Knowledge | null): HTMLElement {
  const reason = a.finalStatus === null ? null : knowledge?.responses.get(a.finalStatus)?.reason ?? null;
  const request = `REGISTER (CSeq ${a.cseq.split(' ')[0]}${a.hadCredentials ? ', with credentials' : ''}${a.expiresRequested !== null ? `, Expires ${a.expiresRequested}` : ''})`;
  const response = a.finalStatus === null ? 'no final response' : `${a.finalStatus}${reason ? ` ${reason}` : ''}${a.expiresGranted !== null ? ` (expires ${a.expiresGranted} s)` : ''}`;
  const failed = a.finalStatus === null || (a.finalStatus >= 300 && !isChallenge(a));
  return h('li', { class: `attempt${failed ? ' failed' : ''}` },
    h('div', { class: 'steps' },
      link(callPath(scope, [r.callId], a.request), h('span', { class: 'step c-request' }, request)),
      h('span', { class: 'step-arrow', attrs: { 'aria-hidden': 'true' } }, '→'),
      a.final === null ? h('span', { class: `step ${statusClass(a)}` }, response)
        : link(callPath(scope, [r.callId], a.final), h('span', { class: `step ${statusClass(a)}` }, response)),
      isChallenge(a) ? h('span', { class: 'muted' }, `digest challenge${a.realm ? ` for realm “${a.realm}”` : ''}`) : null),
    a.explanation ? h('p', { class: 'explanation' }, a.explanation) : null);
}

function registrationCard(scope: Scope, r: Registration, knowledge: Knowledge | null): HTMLElement {
  return h('article', { class: `registration outcome-${r.outcome}` },
    h('header', null,
      h('h3', null, r.aor ?? '(no address of record)'), ' ', outcomeBadge(r.outcome, r.finalStatus),
      r.expires !== null && r.outcome === 'registered' ? h('span', { class: 'muted' }, ` for ${formatCount(r.expires)} s`) : null),
    r.explanation ? h('p', { class: 'explanation strong' }, r.explanation) : null,
    h('p', { class: 'facts' }, `Contact ${r.contact ?? '–'} · ${r.attempts.length} attempt${r.attempts.length === 1 ? '' : 's'} · ${r.challenges} challenge${r.challenges === 1 ? '' : 's'} · `,
      link(callPath(scope, [r.callId]), 'ladder'), h('span', { class: 'callid mono' }, ` Call-ID ${r.callId}`)),
    h('ol', { class: 'attempts' }, ...r.attempts.map((a) => attemptSteps(scope, r, a, knowledge))));
}

export function renderRegistrations(ctx: PageContext): Cleanup {
  const { app, scope, capture } = ctx;
  setCrumbs([...(scope.readOnly ? [] : [{ label: 'Captures', href: '/' }]), { label: capture.name, href: scope.page }, { label: 'Registrations' }]);
  setActions(shareButton(scope, () => ({})));
  const list = h('div', { class: 'registrations' }, h('p', { class: 'loading' }, 'Loading registrations…'));
  replaceChildren(app, captureHeading(scope, capture, 'registrations'), list);
  void (async () => {
    try {
      const [{ items }, knowledge] = await Promise.all([getJson<{ items: Registration[] }>(`${scope.api}/registrations`), getKnowledge()]);
      if (!ctx.current()) return;
      if (items.length === 0) {
        replaceChildren(list, h('p', { class: 'empty' }, 'No REGISTER in this capture.'));
        return;
      }
      const sorted = [...items].sort((a, b) => (FAILURE_FIRST[a.outcome] ?? 5) - (FAILURE_FIRST[b.outcome] ?? 5));
      const failures = sorted.filter((r) => r.outcome === 'failed' || r.outcome === 'no-final-response').length;
      replaceChildren(list,
        h('p', { class: 'summary' }, `${formatCount(items.length)} registering Call-ID${items.length > 1 ? 's' : ''}, ${formatCount(failures)} failed.`),
        ...sorted.map((r) => registrationCard(scope, r, knowledge)));
    } catch (error) {
      if (ctx.current()) replaceChildren(list, errorBox(`Could not load the registrations: ${(error as Error).message}`));
    }
  })();
  return () => undefined;
}
