// Pieces several pages share: the capture's heading and tabs, outcome badges, the share dialog.
import { sendJson, type Scope } from '../api.js';
import { copyText, errorBox, h, link, replaceChildren } from '../dom.js';
import { formatBytes, formatCount, formatDuration, formatEpoch, secondsBetween } from '../format.js';
import type { CaptureDetail } from '../types.js';

export function captureHeading(scope: Scope, capture: CaptureDetail, active: 'overview' | 'registrations' | 'call'): HTMLElement {
  const facts: string[] = [];
  if (capture.file) facts.push(`${capture.file.format}, ${formatCount(capture.file.packets)} packets`);
  facts.push(formatBytes(capture.size));
  if (capture.firstTime && capture.lastTime) facts.push(`${formatEpoch(capture.firstTime)}, ${formatDuration(secondsBetween(capture.firstTime, capture.lastTime))}`);
  const tab = (name: typeof active, href: string, label: string) =>
    name === active ? h('span', { class: 'tab active', attrs: { 'aria-current': 'page' } }, label) : link(href, label);
  return h('div', { class: 'capture-heading' },
    h('div', null,
      h('h1', null, capture.name),
      h('p', { class: 'facts' }, facts.join(' · ')),
      scope.readOnly ? h('p', { class: 'shared-note' }, `Shared view, read-only${scope.anonymized ? ', anonymised' : ''}.`) : null),
    h('nav', { class: 'tabs', attrs: { 'aria-label': 'Capture views' } },
      tab('overview', scope.page, 'Overview and calls'),
      tab('registrations', `${scope.page}/registrations`, `Registrations (${formatCount(capture.registrations)})`)),
  );
}

const OUTCOME_CLASS: Record<string, string> = {
  completed: 'good', answered: 'good', success: 'good', registered: 'good', unregistered: 'neutral',
  cancelled: 'neutral', busy: 'warn', redirected: 'neutral', pending: 'neutral',
  rejected: 'bad', failed: 'bad', 'no-final-response': 'bad',
};

/** The outcome as a word (colour only repeats it). */
export function outcomeBadge(outcome: string | null, status: number | null = null): HTMLElement {
  const text = outcome ?? 'no outcome';
  return h('span', { class: `badge outcome-${OUTCOME_CLASS[text] ?? 'neutral'}` }, status ? `${text} ${status}` : text);
}

export function severityBadge(severity: string): HTMLElement {
  const icon = severity === 'error' ? '✖' : severity === 'warning' ? '⚠' : 'ℹ';
  return h('span', { class: `sev sev-${severity}` }, `${icon} ${severity}`);
}

const EXPIRIES: [string, number | null][] = [['1 hour', 3600], ['1 day', 86_400], ['7 days', 604_800], ['30 days', 2_592_000], ['never', null]];

/** "Share" button with its dialog: anonymise? expiry? -> POST /api/shares -> the link, copied. */
export function shareButton(scope: Scope, what: () => { callIds?: string[]; messageId?: number | null }): HTMLElement {
  const button = h('button', { class: 'primary', attrs: { type: 'button' } }, 'Share…');
  if (scope.readOnly) return h('span');
  const anonymize = h('input', { attrs: { type: 'checkbox', id: 'share-anon' } });
  const expiry = h('select', { attrs: { id: 'share-expiry' } }, ...EXPIRIES.map(([label, seconds], i) =>
    h('option', { attrs: { value: seconds === null ? '' : seconds, selected: i === 2 } }, label)));
  const result = h('div', { class: 'share-result', attrs: { 'aria-live': 'polite' } });
  const create = h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Create link');
  const close = h('button', { attrs: { type: 'button' } }, 'Close');
  const form = h('form', { attrs: { method: 'dialog' } },
    h('h2', null, 'Share a link'),
    h('p', null, 'Anyone with the link sees this view, read-only, until it expires.'),
    h('p', null, anonymize, ' ', h('label', { attrs: { for: 'share-anon' } }, 'Anonymise (user parts, numbers, IP addresses and credentials replaced)')),
    h('p', null, h('label', { attrs: { for: 'share-expiry' } }, 'Expires after '), expiry),
    result,
    h('div', { class: 'dialog-buttons' }, create, close));
  const dialog = h('dialog', { class: 'share-dialog', attrs: { 'aria-label': 'Share a link' } }, form);
  close.addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    create.disabled = true;
    try {
      const body: Record<string, unknown> = { captureId: scope.captureId, anonymize: anonymize.checked, ...what() };
      if (body.messageId === null) delete body.messageId;
      if (expiry.value) body.expiresInSeconds = Number(expiry.value);
      const share = await sendJson<{ token: string; url: string; expiresAt: string | null }>('POST', '/api/shares', body);
      const url = new URL(share!.url, location.origin).href;
      const field = h('input', { class: 'share-url', attrs: { type: 'text', readonly: true, value: url, 'aria-label': 'Share link' } });
      const copied = await copyText(url);
      replaceChildren(result, field, h('p', { class: 'hint' }, copied ? 'Copied to the clipboard.' : 'Select the link and copy it.',
        share!.expiresAt ? ` Expires ${formatEpoch(String(Date.parse(share!.expiresAt) / 1000))}.` : ' Never expires.'));
      field.select();
    } catch (error) {
      replaceChildren(result, errorBox(`Could not create the link: ${(error as Error).message}`));
    } finally {
      create.disabled = false;
    }
  });
  button.addEventListener('click', () => {
    result.replaceChildren();
    dialog.showModal();
  });
  return h('span', null, button, dialog);
}
