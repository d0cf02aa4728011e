// What a message means, for tooltips and the panel: the knowledge base's explanation of its
// method or response code, the name of its class, and the headers that matter when reading a flow.
import { h } from '../dom.js';
import { formatEpoch } from '../format.js';
import type { Anomaly, ArrowClass, Knowledge, LadderArrow, LinkedMessage } from '../types.js';

/** RFC 3261 §7.2 names of the classes, used when the knowledge base does not name them. */
const CLASS_NAMES: Record<ArrowClass, string> = {
  request: 'request',
  '1xx': '1xx provisional',
  '2xx': '2xx success',
  '3xx': '3xx redirection',
  '4xx': '4xx client error',
  '5xx': '5xx server error',
  '6xx': '6xx global failure',
  malformed: 'malformed',
};

export function classMeaning(knowledge: Knowledge | null, cls: ArrowClass): string {
  const entry = knowledge?.classes.get(cls);
  return entry && cls !== 'request' && cls !== 'malformed' ? `${cls} ${entry.name}` : CLASS_NAMES[cls];
}

export function meaningOf(knowledge: Knowledge, method: string | null, status: number | null): string | null {
  if (method) {
    const entry = knowledge.methods.get(method.toUpperCase());
    return entry ? `${entry.meaning}${entry.reference ? ` (${entry.reference})` : ''}` : null;
  }
  if (status !== null) {
    const entry = knowledge.responses.get(status);
    if (entry) return `${entry.meaning}${entry.reference ? ` (${entry.reference})` : ''}`;
    const cls = knowledge.classes.get(`${Math.floor(status / 100)}xx`);
    return cls?.meaning || null;
  }
  return null;
}

function row(name: string, value: string | number | null | undefined): HTMLElement | null {
  if (value === null || value === undefined || value === '') return null;
  return h('tr', null, h('th', { attrs: { scope: 'row' } }, name), h('td', null, String(value)));
}

/** `"Alice" <sip:alice@example.com>;tag=1234`, as a From or To header would say it. */
function nameAddr(display: string | null, uri: string | null, tag: string | null): string {
  const address = uri ? `<${uri}>` : '';
  return `${display ? `"${display}" ` : ''}${address}${tag ? `;tag=${tag}` : ''}`;
}

/** The hover card of an arrow. */
export function describeArrow(arrow: LadderArrow, message: LinkedMessage | undefined, knowledge: Knowledge | null, anomalies: Map<number, Anomaly>, dialogMark: number | null): HTMLElement {
  const meaning = knowledge && message ? meaningOf(knowledge, message.isRequest ? message.method : null, message.isRequest ? null : message.status) : null;
  const notes = knowledge && message && !message.isRequest && message.status !== null ? knowledge.responses.get(message.status)?.notes : null;
  return h('div', null,
    h('div', { class: 'tip-title' }, arrow.label, ' ', h('span', { class: `class-tag c-${arrow.arrowClass}` }, classMeaning(knowledge, arrow.arrowClass))),
    meaning ? h('p', { class: 'tip-meaning' }, meaning) : null,
    notes ? h('p', { class: 'tip-notes' }, notes) : null,
    ...arrow.anomalies.map((id) => anomalies.get(id)).filter((a): a is Anomaly => !!a)
      .map((a) => h('p', { class: `tip-anomaly sev-${a.severity}` }, h('strong', null, `⚠ ${a.severity}: ${a.title}`), `${a.explanation} (${a.reference})`)),
    h('table', { class: 'tip-headers' }, h('tbody', null,
      row('Time', formatEpoch(arrow.time)),
      row('From → to', `${arrow.from} → ${arrow.to}`),
      message?.isRequest ? row('Request-URI', message.requestUri) : null,
      row('From', message ? nameAddr(message.fromDisplay, message.fromUri, message.fromTag) : null),
      row('To', message ? nameAddr(message.toDisplay, message.toUri, message.toTag) : null),
      row('CSeq', message?.cseq),
      row('Call-ID', arrow.callId),
      row('Via branch', message?.branch),
      row('Contact', message?.contactUri),
      row(message?.isRequest ? 'User-Agent' : 'Server', message?.userAgent),
      row('Content-Type', message?.contentType),
      row('SDP', arrow.sdp),
      row('Transaction', arrow.transaction === null ? 'none' : `#${arrow.transaction}`),
      row('Dialog', arrow.dialog === null ? 'none' : `#${arrow.dialog} (${dialogMark ?? '?'} on the left bar)`),
      arrow.copy > 1 ? row('Retransmission', `copy ${arrow.copy}, first sent as #${arrow.retransmissionOf}`) : null)),
    h('p', { class: 'tip-hint' }, 'Click for the raw message'));
}
