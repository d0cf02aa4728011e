// The call view: the ladder diagram of one or several Call-IDs with its toolbar (time format,
// axis, merged lanes, zoom, exports, share), the anomalies above it, and the message panel.
import { renderAsciiLadder } from '../../../src/views/ascii-ladder.js';
import { encodeCallIds, getJson, getKnowledge, sendJson } from '../api.js';
import { setActions, setCrumbs } from '../chrome.js';
import { download, errorBox, h, link, replaceChildren } from '../dom.js';
import { formatCount, formatDuration, formatEpoch, uriUser, type TimeMode } from '../format.js';
import { setQuery, type Cleanup } from '../router.js';
import type { PageContext } from '../main.js';
import type { Anomaly, CallDetail, Dialog, Knowledge, LadderArrow, LadderModel, LinkedMessage, Transaction } from '../types.js';
import { ladderPng, ladderSvg } from '../ladder/export.js';
import type { Axis } from '../ladder/layout.js';
import { endpointHost } from '../../../src/views/ladder.js';
import { LadderView, letterOf } from '../ladder/view.js';
import { outcomeBadge, severityBadge, shareButton } from './common.js';
import { describeArrow } from './describe.js';
import { showMessage, type PanelContext } from './message-panel.js';

interface CallData {
  details: CallDetail[];
  messages: Map<number, LinkedMessage>;
  transactions: Map<number, Transaction>;
  dialogs: Map<number, Dialog>;
  anomalies: Map<number, Anomaly>;
}

function choice<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function segmented<T extends string>(name: string, label: string, options: [T, string][], value: T, change: (v: T) => void): HTMLElement {
  const group = h('fieldset', { class: 'segmented' }, h('legend', null, label));
  for (const [v, text] of options) {
    const id = `${name}-${v}`;
    const input = h('input', { attrs: { type: 'radio', name, id, value: v, checked: v === value } });
    input.addEventListener('change', () => input.checked && change(v));
    group.append(input, h('label', { attrs: { for: id } }, text));
  }
  return group;
}

function callSummary(detail: CallDetail, letter: string | null): HTMLElement {
  const c = detail.call;
  const who = (p: typeof c.caller) => (p.display ? `${p.display} <${p.user ?? uriUser(p.uri) ?? '?'}>` : p.user ?? uriUser(p.uri) ?? '?');
  const facts = [
    `${c.firstRequest} · started ${formatEpoch(c.startTime)}`,
    c.postDialDelay !== null ? `post-dial delay ${formatDuration(c.postDialDelay)}` : null,
    c.setupTime !== null ? `setup ${formatDuration(c.setupTime)}` : null,
    c.duration !== null ? `duration ${formatDuration(c.duration)}` : null,
    c.endedBy ? `ended by the ${c.endedBy}` : null,
    `${formatCount(c.messages.length)} messages`,
  ].filter(Boolean).join(' · ');
  return h('div', { class: 'call-summary' },
    h('div', { class: 'call-title' }, letter ? h('span', { class: 'call-letter' }, letter) : null,
      h('strong', null, who(c.caller)), ' → ', h('strong', null, who(c.callee)), ' ', outcomeBadge(c.outcome ?? c.kind, c.finalStatus),
      c.finalReason ? ` ${c.finalReason}` : ''),
    h('div', { class: 'facts' }, facts),
    h('div', { class: 'callid mono' }, `Call-ID ${c.callId}`));
}

export function renderCall(ctx: PageContext, callIds: string[]): Cleanup {
  const { app, scope, capture } = ctx;
  const params = new URLSearchParams(location.search);
  let time = choice<TimeMode>(params.get('time'), ['absolute', 'relative', 'delta'], 'relative');
  let axis = choice<Axis>(params.get('axis'), ['sequence', 'time'], 'sequence');
  let merge = params.get('merge') === 'host';
  const initialMessage = params.has('msg') ? Number(params.get('msg')) : ctx.share?.messageId ?? null;
  let selected: number | null = Number.isInteger(initialMessage) ? initialMessage : null;
  let model: LadderModel | null = null;
  let data: CallData | null = null;
  let knowledge: Knowledge | null = null;
  let panelGeneration = 0;

  const title = callIds.length === 1 ? `Call ${callIds[0]}` : `${callIds.length} calls`;
  setCrumbs([
    ...(scope.readOnly ? [] : [{ label: 'Captures', href: '/' }]),
    { label: capture.name, href: scope.readOnly && ctx.share?.callIds.length ? undefined : scope.page },
    { label: title },
  ]);
  setActions(shareButton(scope, () => ({ callIds, messageId: selected })));

  const summaries = h('div', { class: 'call-summaries' }, h('p', { class: 'loading' }, 'Loading the call…'));
  const anomalyList = h('div', { class: 'call-anomalies' });
  const diagram = h('div', { class: 'diagram', attrs: { 'aria-label': 'Ladder diagram' } });
  const panel = h('aside', { class: 'message-panel', attrs: { 'aria-label': 'Message details', hidden: true, tabindex: -1 } });
  const legend = h('div', { class: 'legend', attrs: { 'aria-label': 'Legend' } },
    ...([['request', 'request ▶'], ['1xx', '1xx ▷'], ['2xx', '2xx ▷'], ['3xx', '3xx ▷'], ['4xx', '4xx–6xx ▷']] as const).map(([cls, text]) => h('span', { class: `class-tag c-${cls}` }, text)),
    h('span', { class: 'legend-note' }, '▶ request · ▷ response · dashed: retransmission · ⚠ anomaly · left bar: dialog'));
  const status = h('div', { class: 'diagram-status', attrs: { 'aria-live': 'polite' } });

  const view: LadderView = new LadderView(diagram, {
    time,
    axis,
    describe: (arrow: LadderArrow): HTMLElement => describeArrow(arrow, data?.messages.get(arrow.message), knowledge, data?.anomalies ?? new Map(), view.dialogNumber(arrow.dialog)),
    onSelect: (id) => select(id),
    onLaneClick: scope.readOnly ? undefined : (laneId) => renameLane(laneId),
  });

  const exportText = h('button', { attrs: { type: 'button' } }, 'Text');
  const exportSvg = h('button', { attrs: { type: 'button' } }, 'SVG');
  const exportPng = h('button', { attrs: { type: 'button' } }, 'PNG');
  const pcap = h('a', { class: 'button', attrs: { href: `${scope.api}/export.pcap?callIds=${encodeCallIds(callIds)}`, download: `${callIds[0].slice(0, 40)}.pcap` } }, 'pcap');
  const fileBase = () => callIds[0].replace(/[^\w.-]+/g, '_').slice(0, 60);
  exportText.addEventListener('click', () => model && download(new Blob([renderAsciiLadder(model, { time })], { type: 'text/plain' }), `${fileBase()}.txt`));
  exportSvg.addEventListener('click', () => model && download(new Blob([ladderSvg(model, { time, axis }).markup], { type: 'image/svg+xml' }), `${fileBase()}.svg`));
  exportPng.addEventListener('click', async () => {
    if (!model) return;
    try {
      download(await ladderPng(model, { time, axis }), `${fileBase()}.png`);
    } catch (error) {
      status.replaceChildren(errorBox((error as Error).message));
    }
  });
  const zoomIn = h('button', { attrs: { type: 'button', 'aria-label': 'Zoom in (time axis)' } }, '+');
  const zoomOut = h('button', { attrs: { type: 'button', 'aria-label': 'Zoom out (time axis)' } }, '−');
  const zoomReset = h('button', { attrs: { type: 'button' } }, 'Reset');
  zoomIn.addEventListener('click', () => view.zoomBy(1.5));
  zoomOut.addEventListener('click', () => view.zoomBy(1 / 1.5));
  zoomReset.addEventListener('click', () => view.resetZoom());
  const mergeBox = h('input', { attrs: { type: 'checkbox', id: 'merge-hosts', checked: merge } });
  mergeBox.addEventListener('change', () => {
    merge = mergeBox.checked;
    setQuery({ merge: merge ? 'host' : null });
    void loadLadder();
  });

  const toolbar = h('div', { class: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Diagram options' } },
    segmented<TimeMode>('time', 'Time', [['absolute', 'absolute'], ['relative', 'since first'], ['delta', 'delta']], time, (v) => {
      time = v;
      setQuery({ time: v === 'relative' ? null : v });
      view.setOptions({ time });
    }),
    segmented<Axis>('axis', 'Vertical axis', [['sequence', 'sequence'], ['time', 'proportional']], axis, (v) => {
      axis = v;
      setQuery({ axis: v === 'sequence' ? null : v });
      view.setOptions({ axis });
    }),
    h('span', { class: 'tool' }, mergeBox, h('label', { attrs: { for: 'merge-hosts' } }, ' one lane per host')),
    h('span', { class: 'tool', attrs: { role: 'group', 'aria-label': 'Zoom' } }, h('span', { class: 'tool-label' }, 'Zoom'), zoomOut, zoomIn, zoomReset),
    h('span', { class: 'tool', attrs: { role: 'group', 'aria-label': 'Export' } }, h('span', { class: 'tool-label' }, 'Export'), exportText, exportSvg, exportPng, pcap));

  const body = h('div', { class: 'call-body' }, h('div', { class: 'diagram-column' }, diagram, legend), panel);
  /** The diagram takes the rest of the window (at least 420 px), so the page itself rarely scrolls. */
  const fitHeight = () => {
    const top = body.getBoundingClientRect().top + window.scrollY;
    body.style.setProperty('--body-height', `${Math.max(420, window.innerHeight - top - 44)}px`);
  };
  window.addEventListener('resize', fitHeight);
  replaceChildren(app,
    summaries,
    anomalyList,
    toolbar,
    status,
    body);
  fitHeight();

  const panelContext = (): PanelContext => ({
    scope,
    transactions: data?.transactions ?? new Map(),
    dialogs: data?.dialogs ?? new Map(),
    arrows: new Map((model?.arrows ?? []).map((a) => [a.message, a])),
    anomalies: data?.anomalies ?? new Map(),
    knowledge: () => knowledge,
    select: (id) => select(id),
    close: () => select(null),
  });

  function select(id: number | null): void {
    selected = id;
    setQuery({ msg: id === null ? null : String(id) });
    view.select(id);
    const mine = ++panelGeneration;
    if (id === null) {
      panel.hidden = true;
      panel.replaceChildren();
      diagram.querySelector('svg')?.focus();
      return;
    }
    panel.hidden = false;
    void showMessage(panel, panelContext(), id, () => mine === panelGeneration && ctx.current());
  }

  async function renameLane(laneId: string): Promise<void> {
    const lane = model?.lanes.find((l) => l.id === laneId);
    if (!lane) return;
    const aliases = { ...(capture.aliases ?? {}) };
    const host = endpointHost(lane.address);
    const name = h('input', { attrs: { type: 'text', id: 'alias-name', value: aliases[lane.address] ?? (lane.label !== lane.address ? lane.label : ''), size: 30, maxlength: 80 } });
    const wholeHost = h('input', { attrs: { type: 'checkbox', id: 'alias-host', checked: lane.address === host } });
    const save = h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Save');
    const cancel = h('button', { attrs: { type: 'button' } }, 'Cancel');
    const result = h('div', { attrs: { 'aria-live': 'polite' } });
    const form = h('form', { attrs: { method: 'dialog' } },
      h('h2', null, `Name ${lane.address}`),
      h('p', null, h('label', { attrs: { for: 'alias-name' } }, 'Name '), name),
      lane.address !== host ? h('p', null, wholeHost, h('label', { attrs: { for: 'alias-host' } }, ` for every port of ${host}`)) : null,
      h('p', { class: 'hint' }, 'Saved with the capture; leave empty to remove the name.'),
      result,
      h('div', { class: 'dialog-buttons' }, save, cancel));
    const dialog = h('dialog', { class: 'alias-dialog' }, form);
    document.body.appendChild(dialog);
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const key = wholeHost.checked || lane.address === host ? host : lane.address;
      const value = name.value.trim();
      if (value) aliases[key] = value;
      else delete aliases[key];
      try {
        await sendJson('PUT', `${scope.api}/aliases`, { aliases });
        capture.aliases = aliases;
        dialog.close();
        await loadLadder();
      } catch (error) {
        replaceChildren(result, errorBox(`Could not save the name: ${(error as Error).message}`));
      }
    });
    dialog.showModal();
  }

  async function loadLadder(): Promise<void> {
    const query = `callIds=${encodeCallIds(callIds)}${merge ? '&merge=host' : ''}`;
    try {
      const ladder = await getJson<LadderModel>(`${scope.api}/ladder?${query}`);
      if (!ctx.current()) return;
      model = ladder;
      view.setModel(ladder);
      if (selected !== null) view.select(selected);
      status.replaceChildren();
    } catch (error) {
      if (ctx.current()) status.replaceChildren(errorBox(`Could not load the diagram: ${(error as Error).message}`));
    }
  }

  async function loadDetails(): Promise<void> {
    try {
      const details = await Promise.all(callIds.map((id) => getJson<CallDetail>(`${scope.api}/calls/${encodeURIComponent(id)}`)));
      if (!ctx.current()) return;
      data = {
        details,
        messages: new Map(details.flatMap((d) => d.messages.map((m) => [m.id, m] as const))),
        transactions: new Map(details.flatMap((d) => d.transactions.map((t) => [t.id, t] as const))),
        dialogs: new Map(details.flatMap((d) => d.dialogs.map((x) => [x.id, x] as const))),
        anomalies: new Map(details.flatMap((d) => d.anomalies.map((a) => [a.id, a] as const))),
      };
      const cards = details.map((d, i) => callSummary(d, details.length > 1 ? letterOf(i) : null));
      if (cards.length <= 3) replaceChildren(summaries, ...cards);
      else {
        // Many calls: one line of counts, the cards one click away (the diagram keeps the screen).
        const outcomes = new Map<string, number>();
        for (const d of details) outcomes.set(d.call.outcome ?? d.call.kind, (outcomes.get(d.call.outcome ?? d.call.kind) ?? 0) + 1);
        const counts = [...outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
        replaceChildren(summaries, h('details', { class: 'many-calls' },
          h('summary', null, h('strong', null, `${details.length} calls`), ` (${counts}) — letters A, B, … in the call column of the diagram`),
          h('div', { class: 'call-cards' }, ...cards)));
      }
      const anomalies = [...data.anomalies.values()];
      replaceChildren(anomalyList, ...(anomalies.length ? [h('h2', { class: 'visually-hidden' }, 'Anomalies'), h('ul', { class: 'anomaly-list' }, ...anomalies.map((a) => {
        const first = a.messages[0];
        const jump = h('button', { class: 'linklike', attrs: { type: 'button' } }, `#${first}`);
        jump.addEventListener('click', () => first !== undefined && select(first));
        // The title at a glance, the full explanation one click away: the diagram keeps the screen.
        return h('li', null, h('details', null,
          h('summary', null, severityBadge(a.severity), ' ', h('strong', null, a.title), h('span', { class: 'muted' }, ` — ${a.messages.length} message${a.messages.length > 1 ? 's' : ''}, first `), jump),
          h('p', { class: 'explanation' }, a.explanation, ' ', h('span', { class: 'ref' }, a.reference))));
      }))] : []));
      fitHeight();
    } catch (error) {
      if (ctx.current()) replaceChildren(summaries, errorBox(`Could not load the call: ${(error as Error).message}`),
        scope.readOnly ? '' : h('p', null, link(scope.page, 'Back to the capture')));
    }
  }

  void getKnowledge().then((k) => (knowledge = k));
  // The diagram first, then the details: the server builds one answer at a time, and a long call's
  // details (every message with its links, megabytes for thousands of messages) would hold the diagram back.
  void loadLadder().then(loadDetails).then(() => {
    if (ctx.current() && selected !== null) select(selected);
  });
  return () => {
    window.removeEventListener('resize', fitHeight);
    view.destroy();
  };
}
