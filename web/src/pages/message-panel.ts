// The side panel of the call view: one message exactly as captured (header names
// highlighted, everything inserted as text), its parsed SDP, and its transaction and dialog.
import { getJson, type Scope } from '../api.js';
import { errorBox, h, replaceChildren } from '../dom.js';
import { formatEpoch } from '../format.js';
import type { Anomaly, Dialog, Knowledge, LadderArrow, MessageDetail, SdpSummary, Transaction } from '../types.js';
import { classMeaning, meaningOf } from './describe.js';
import { severityBadge } from './common.js';

export interface PanelContext {
  scope: Scope;
  transactions: Map<number, Transaction>;
  dialogs: Map<number, Dialog>;
  arrows: Map<number, LadderArrow>;
  anomalies: Map<number, Anomaly>;
  knowledge: () => Knowledge | null;
  select(messageId: number): void;
  close(): void;
}

/** The raw text as lines: start line, header lines (name highlighted), blank line, body. */
export function rawMessage(raw: string): HTMLElement {
  const pre = h('pre', { class: 'raw', attrs: { tabindex: 0, 'aria-label': 'Raw message' } });
  const lines = raw.split(/\r?\n/);
  let inHeaders = true;
  lines.forEach((line, i) => {
    if (i === lines.length - 1 && line === '') return;
    let node: Node;
    if (i === 0) node = h('span', { class: 'start-line' }, line);
    else if (inHeaders && line === '') {
      inHeaders = false;
      node = document.createTextNode('');
    } else if (inHeaders && !/^[ \t]/.test(line) && line.includes(':')) {
      const colon = line.indexOf(':');
      node = h('span', { class: 'header-line' }, h('span', { class: 'hname' }, line.slice(0, colon)), line.slice(colon));
    } else node = h('span', { class: inHeaders ? 'header-line' : 'body-line' }, line);
    pre.append(node, '\n');
  });
  return pre;
}

function sdpTable(sdp: SdpSummary): HTMLElement {
  return h('div', { class: 'sdp-parsed' },
    h('p', null, `Session address ${sdp.address ?? '–'}${sdp.origin ? ` · origin ${sdp.origin}` : ''}`),
    h('table', { class: 'data compact' },
      h('thead', null, h('tr', null, ...['Media', 'Address', 'Port', 'Protocol', 'Codecs', 'Direction'].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      h('tbody', null, ...sdp.media.map((m) => h('tr', null,
        h('td', null, m.media), h('td', { class: 'mono' }, m.address ?? sdp.address ?? '–'), h('td', { class: 'num' }, m.port === 0 ? '0 (disabled)' : m.port),
        h('td', null, m.proto), h('td', null, (m.codecs.length ? m.codecs : m.formats).join(', ')), h('td', null, m.direction))))));
}

function messageButton(ctx: PanelContext, id: number): HTMLElement {
  const arrow = ctx.arrows.get(id);
  const button = h('button', { class: 'linklike', attrs: { type: 'button' } }, `#${id} ${arrow?.label ?? ''}`.trim());
  button.addEventListener('click', () => ctx.select(id));
  return button;
}

function idList(ctx: PanelContext, label: string, ids: number[]): HTMLElement | null {
  if (ids.length === 0) return null;
  return h('div', { class: 'id-list' }, h('span', { class: 'muted' }, `${label}: `), ...ids.flatMap((id, i) => (i ? [' ', messageButton(ctx, id)] : [messageButton(ctx, id)])));
}

function transactionSection(ctx: PanelContext, t: Transaction | null, id: number | null): HTMLElement {
  const section = h('section', { class: 'panel-section' }, h('h3', null, 'Transaction'));
  if (id === null) {
    section.append(h('p', { class: 'muted' }, 'Not part of a transaction (an ACK for a 2xx is sent end to end, outside any transaction; RFC 3261 §13.2.2.4).'));
    return section;
  }
  if (!t) {
    section.append(h('p', null, `#${id}`));
    return section;
  }
  section.append(
    h('p', null, `#${t.id} ${t.method}, CSeq ${t.cseq}, ${t.state}${t.finalStatus ? `, final ${t.finalStatus}` : ''}${t.retransmissions ? `, ${t.retransmissions} retransmission${t.retransmissions > 1 ? 's' : ''}` : ''}`),
    h('p', { class: 'mono small' }, `branch ${t.branch ?? '–'} · sent-by ${t.sentBy ?? '–'}`),
    idList(ctx, 'request', t.requests) ?? '',
    idList(ctx, 'responses', t.responses) ?? '',
    idList(ctx, `ACK${t.ackFor ? ` (for ${t.ackFor})` : ''}`, t.ack) ?? '');
  return section;
}

function dialogSection(ctx: PanelContext, d: Dialog | null, id: number | null): HTMLElement {
  const section = h('section', { class: 'panel-section' }, h('h3', null, 'Dialog'));
  if (id === null) {
    section.append(h('p', { class: 'muted' }, 'Outside any dialog.'));
    return section;
  }
  if (!d) {
    section.append(h('p', null, `#${id}`));
    return section;
  }
  section.append(
    h('p', null, `#${d.id} created by ${d.method}, ${d.state}${d.endState !== d.state ? `, then ${d.endState}` : ''}`),
    h('p', { class: 'mono small' }, `from-tag ${d.fromTag} · to-tag ${d.toTag}`),
    idList(ctx, 'created by', [d.createdBy]) ?? '',
    idList(ctx, 'confirmed by', d.confirmedBy === null ? [] : [d.confirmedBy]) ?? '',
    idList(ctx, 'terminated by', d.terminatedBy === null ? [] : [d.terminatedBy]) ?? '');
  return section;
}

/** Fills `panel` with message `id` (fetched from the API). */
export async function showMessage(panel: HTMLElement, ctx: PanelContext, id: number, current: () => boolean): Promise<void> {
  const close = h('button', { class: 'panel-close', attrs: { type: 'button', 'aria-label': 'Close the message panel' } }, '✕');
  close.addEventListener('click', () => ctx.close());
  const arrow = ctx.arrows.get(id);
  replaceChildren(panel, close, h('h2', null, arrow ? `#${id} ${arrow.label}` : `#${id}`), h('p', { class: 'loading' }, 'Loading the message…'));
  let detail: MessageDetail;
  try {
    detail = await getJson<MessageDetail>(`${ctx.scope.api}/messages/${id}`);
  } catch (error) {
    if (current()) replaceChildren(panel, close, errorBox(`Could not load message #${id}: ${(error as Error).message}`));
    return;
  }
  if (!current()) return;
  const m = detail.message;
  const knowledge = ctx.knowledge();
  const meaning = knowledge ? meaningOf(knowledge, m.isRequest ? m.method : null, m.isRequest ? null : m.status) : null;
  const transactionId = typeof detail.transaction === 'number' ? detail.transaction : detail.transaction?.id ?? arrow?.transaction ?? null;
  const dialogId = typeof detail.dialog === 'number' ? detail.dialog : detail.dialog?.id ?? arrow?.dialog ?? null;
  const transaction = (typeof detail.transaction === 'object' ? detail.transaction : null) ?? (transactionId === null ? null : ctx.transactions.get(transactionId) ?? null);
  const dialog = (typeof detail.dialog === 'object' ? detail.dialog : null) ?? (dialogId === null ? null : ctx.dialogs.get(dialogId) ?? null);
  const anomalies = (arrow?.anomalies ?? []).map((a) => ctx.anomalies.get(a)).filter((a): a is Anomaly => !!a);
  replaceChildren(panel,
    close,
    h('h2', null, `#${id} `, arrow?.label ?? (m.isRequest ? m.method : `${m.status} ${m.reason ?? ''}`), ' ',
      h('span', { class: `class-tag c-${arrow?.arrowClass ?? 'request'}` }, classMeaning(knowledge, arrow?.arrowClass ?? 'request'))),
    h('p', { class: 'msg-facts' }, `frame ${m.frame}${m.frames.length > 1 ? ` (from frames ${m.frames.join(', ')})` : ''} · ${formatEpoch(m.time)}`),
    h('p', { class: 'msg-facts mono' }, `${m.src} → ${m.dst} · ${m.transport} · ${m.size} bytes`),
    meaning ? h('p', { class: 'meaning' }, meaning) : null,
    m.malformed ? errorBox(`Not valid SIP: ${m.malformed}`) : null,
    anomalies.length ? h('ul', { class: 'panel-anomalies' }, ...anomalies.map((a) => h('li', null, h('details', null,
      h('summary', null, severityBadge(a.severity), ` ${a.title}`), h('p', { class: 'explanation' }, a.explanation, ' ', h('span', { class: 'ref' }, a.reference)))))) : null,
    h('section', { class: 'panel-section' }, h('h3', null, 'Raw message (as captured)'), rawMessage(detail.raw)),
    detail.sdp ? h('section', { class: 'panel-section' }, h('h3', null, 'SDP'), sdpTable(detail.sdp)) : null,
    transactionSection(ctx, transaction, transactionId),
    dialogSection(ctx, dialog, dialogId));
}
