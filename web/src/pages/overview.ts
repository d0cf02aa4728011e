// Capture overview: summary figures, SIP statistics, anomalies by kind, message search and
// the calls table (server-side sorting, filtering and paging; keyboard navigable; rows can be
// selected for one diagram of several calls). The filters live in the URL query.
import { callPath, getJson, type Scope } from '../api.js';
import { setActions, setCrumbs } from '../chrome.js';
import { errorBox, h, link, replaceChildren } from '../dom.js';
import { formatCount, formatDuration, formatEpoch, uriUser } from '../format.js';
import { navigate, setQuery, type Cleanup } from '../router.js';
import type { PageContext } from '../main.js';
import type { Anomaly, CallRow, SearchHit } from '../types.js';
import { captureHeading, outcomeBadge, severityBadge, shareButton } from './common.js';

const PAGE_SIZE = 50;
const FILTERS = ['outcome', 'kind', 'anomaly', 'method', 'status', 'user', 'callId', 'q'] as const;
type Filter = (typeof FILTERS)[number];
const OUTCOMES = ['completed', 'answered', 'cancelled', 'busy', 'rejected', 'failed', 'redirected', 'no-final-response', 'pending', 'success'];
const KINDS = ['call', 'registration', 'subscription', 'message', 'options', 'publish', 'other', 'mid-dialog'];

interface TableState {
  filters: Record<Filter, string>;
  sort: string;
  offset: number;
}

function stateFromUrl(): TableState {
  const params = new URLSearchParams(location.search);
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<Filter, string>;
  return { filters, sort: params.get('sort') ?? 'startTime', offset: Math.max(0, Number(params.get('offset')) || 0) };
}

function figure(label: string, value: string, note?: HTMLElement | string | null): HTMLElement {
  return h('div', { class: 'figure' }, h('div', { class: 'figure-value' }, value), h('div', { class: 'figure-label' }, label), note ? h('div', { class: 'figure-note' }, note) : null);
}

export function renderOverview(ctx: PageContext): Cleanup {
  const { app, scope, capture } = ctx;
  setCrumbs([{ label: scope.readOnly ? 'Shared capture' : 'Captures', href: scope.readOnly ? undefined : '/' }, { label: capture.name }]);
  setActions(shareButton(scope, () => ({})));
  const state = stateFromUrl();
  const selected = new Set<string>();

  const stats = capture.stats;
  const anomalyTotal = (capture.anomalies?.error ?? 0) + (capture.anomalies?.warning ?? 0) + (capture.anomalies?.info ?? 0);
  const figures = h('section', { class: 'figures', attrs: { 'aria-label': 'Summary' } },
    figure('SIP messages', formatCount(capture.messages)),
    figure('calls and other dialogs', formatCount(capture.calls)),
    figure('registrations', formatCount(capture.registrations)),
    figure('anomalies', formatCount(anomalyTotal), `${capture.anomalies?.error ?? 0} errors, ${capture.anomalies?.warning ?? 0} warnings`),
    stats ? figure('retransmissions', formatCount(stats.retransmissions)) : null,
    stats && stats.asr !== null ? figure('answer-seizure ratio', `${Math.round(stats.asr * 100)} %`) : null,
  );

  const tableBox = h('section', { class: 'calls', attrs: { 'aria-label': 'Calls', id: 'calls' } });
  const anomaliesBox = h('section', { class: 'anomaly-kinds', attrs: { 'aria-label': 'Anomalies by kind' } }, h('h2', null, 'Anomalies'), h('p', { class: 'loading' }, 'Loading…'));
  const searchBox = searchSection(scope);
  replaceChildren(app,
    captureHeading(scope, capture, 'overview'),
    figures,
    searchBox,
    h('div', { class: 'columns' }, statsSection(stats, (filter, value) => applyFilter(filter, value)), anomaliesBox),
    tableBox);

  const filterControls = buildFilters(state, () => {
    state.offset = 0;
    void loadTable();
  });
  const tableArea = h('div', { class: 'table-area' });
  const pager = h('div', { class: 'pager' });
  const ladderOfSelected = h('button', { attrs: { type: 'button', disabled: true } }, 'Ladder of selected');
  ladderOfSelected.addEventListener('click', () => navigate(callPath(scope, [...selected])));
  replaceChildren(tableBox, h('div', { class: 'calls-head' }, h('h2', null, 'Calls'), ladderOfSelected), filterControls.form, tableArea, pager);

  const updateSelection = () => {
    ladderOfSelected.disabled = selected.size === 0;
    ladderOfSelected.textContent = selected.size ? `Ladder of selected (${selected.size})` : 'Ladder of selected';
  };

  function applyFilter(filter: Filter, value: string): void {
    state.filters[filter] = value;
    state.offset = 0;
    filterControls.sync();
    void loadTable();
    tableBox.scrollIntoView({ block: 'start' });
  }

  async function loadTable(focusRow = false): Promise<void> {
    const query = new URLSearchParams();
    for (const f of FILTERS) if (state.filters[f]) query.set(f, state.filters[f]);
    query.set('sort', state.sort);
    query.set('offset', String(state.offset));
    setQuery({ ...Object.fromEntries(FILTERS.map((f) => [f, state.filters[f] || null])), sort: state.sort === 'startTime' ? null : state.sort, offset: state.offset ? String(state.offset) : null });
    query.set('limit', String(PAGE_SIZE));
    try {
      const page = await getJson<{ total: number; items: CallRow[] }>(`${scope.api}/calls?${query}`);
      if (!ctx.current()) return;
      replaceChildren(tableArea, callsTable(scope, page.items, state, selected, () => void loadTable(), updateSelection));
      renderPager(page.total);
      if (focusRow) tableArea.querySelector<HTMLElement>('tbody tr')?.focus();
    } catch (error) {
      if (ctx.current()) replaceChildren(tableArea, errorBox(`Could not load the calls: ${(error as Error).message}`));
    }
  }

  function renderPager(total: number): void {
    const from = total === 0 ? 0 : state.offset + 1;
    const to = Math.min(total, state.offset + PAGE_SIZE);
    const prev = h('button', { attrs: { type: 'button', disabled: state.offset === 0 } }, '‹ Previous');
    const next = h('button', { attrs: { type: 'button', disabled: to >= total } }, 'Next ›');
    prev.addEventListener('click', () => {
      state.offset = Math.max(0, state.offset - PAGE_SIZE);
      void loadTable(true);
    });
    next.addEventListener('click', () => {
      state.offset += PAGE_SIZE;
      void loadTable(true);
    });
    replaceChildren(pager, prev, h('span', { class: 'pager-text', attrs: { 'aria-live': 'polite' } }, total === 0 ? 'No call matches.' : `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)}`), next);
  }

  void loadTable();
  void (async () => {
    try {
      const { items, byKind } = await getJson<{ items: Anomaly[]; byKind: Record<string, number> }>(`${scope.api}/anomalies`);
      if (!ctx.current()) return;
      filterControls.setAnomalyKinds(Object.keys(byKind));
      replaceChildren(anomaliesBox, h('h2', null, 'Anomalies'), anomalyKinds(items, (kind) => applyFilter('anomaly', kind)));
    } catch (error) {
      if (ctx.current()) replaceChildren(anomaliesBox, h('h2', null, 'Anomalies'), errorBox(`Could not load the anomalies: ${(error as Error).message}`));
    }
  })();
  return () => undefined;
}

/** Methods and response codes as compact chips (name and count); each filters the calls table. */
function statsSection(stats: PageContext['capture']['stats'], filter: (f: Filter, value: string) => void): HTMLElement {
  const section = h('section', { class: 'stats', attrs: { 'aria-label': 'SIP statistics' } }, h('h2', null, 'SIP statistics'));
  if (!stats) return section;
  const chips = (title: string, entries: [string, number][], f: Filter, classOf: (name: string) => string) =>
    h('div', { class: 'chip-row' }, h('h3', null, title), h('ul', { class: 'chips' }, ...entries.map(([name, n]) => {
      const button = h('button', { class: `chip ${classOf(name)}`, attrs: { type: 'button', 'aria-label': `${name}: ${n}; show these calls` } },
        h('span', { class: 'chip-name' }, name), ' ', h('span', { class: 'chip-count' }, formatCount(n)));
      button.addEventListener('click', () => filter(f, name));
      return h('li', null, button);
    })));
  const requests = Object.entries(stats.requests).sort((a, b) => b[1] - a[1]);
  const responses = Object.entries(stats.responses).sort((a, b) => Number(a[0]) - Number(b[0]));
  section.append(
    chips('Requests by method', requests, 'method', () => 'c-request'),
    chips('Responses by code', responses, 'status', (code) => `c-${code[0]}xx`));
  return section;
}

function anomalyKinds(items: Anomaly[], filter: (kind: string) => void): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty' }, 'No anomaly found.');
  const kinds = new Map<string, { count: number; sample: Anomaly }>();
  for (const a of items) {
    const entry = kinds.get(a.kind);
    if (entry) entry.count++;
    else kinds.set(a.kind, { count: 1, sample: a });
  }
  const order = { error: 0, warning: 1, info: 2 } as Record<string, number>;
  const sorted = [...kinds.values()].sort((a, b) => (order[a.sample.severity] - order[b.sample.severity]) || b.count - a.count);
  return h('ul', { class: 'anomaly-list' }, ...sorted.map(({ count, sample }) => {
    const button = h('button', { class: 'linklike', attrs: { type: 'button', 'data-kind': sample.kind } }, `${formatCount(count)} × ${sample.title}`);
    button.addEventListener('click', () => filter(sample.kind));
    return h('li', null, severityBadge(sample.severity), ' ', button, h('span', { class: 'kind' }, ` ${sample.kind}`),
      h('details', { class: 'explanation' }, h('summary', null, count > 1 ? 'What it means (first case)' : 'What it means'),
        sample.explanation, ' ', h('span', { class: 'ref' }, sample.reference)));
  }));
}

function buildFilters(state: TableState, changed: () => void): { form: HTMLElement; sync: () => void; setAnomalyKinds: (kinds: string[]) => void } {
  const controls = new Map<Filter, HTMLInputElement | HTMLSelectElement>();
  const select = (f: Filter, label: string, options: string[]) => {
    const el = h('select', { attrs: { id: `filter-${f}`, name: f } }, h('option', { attrs: { value: '' } }, 'any'), ...options.map((o) => h('option', { attrs: { value: o } }, o)));
    controls.set(f, el);
    return h('label', { class: 'filter' }, label, ' ', el);
  };
  const input = (f: Filter, label: string, placeholder: string, size = 12) => {
    const el = h('input', { attrs: { type: 'search', id: `filter-${f}`, name: f, placeholder, size } });
    controls.set(f, el);
    return h('label', { class: 'filter' }, label, ' ', el);
  };
  const form = h('form', { class: 'filters', attrs: { role: 'search', 'aria-label': 'Filter calls' } },
    select('outcome', 'Outcome', OUTCOMES),
    select('kind', 'Kind', KINDS),
    select('anomaly', 'Anomaly', state.filters.anomaly ? [state.filters.anomaly] : []),
    input('method', 'Method', 'INVITE', 8),
    input('status', 'Code', '486', 4),
    input('user', 'User', 'caller or callee', 12),
    input('callId', 'Call-ID', 'part of it', 12),
    input('q', 'Text', 'anything', 14),
  );
  const sync = () => {
    for (const [f, el] of controls) el.value = state.filters[f];
  };
  sync();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onChange = (f: Filter, el: HTMLInputElement | HTMLSelectElement, delay: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (state.filters[f] === el.value.trim()) return;
      state.filters[f] = el.value.trim();
      changed();
    }, delay);
  };
  for (const [f, el] of controls) {
    el.addEventListener('input', () => onChange(f, el, el instanceof HTMLSelectElement ? 0 : 300));
    el.addEventListener('change', () => onChange(f, el, 0));
  }
  form.addEventListener('submit', (event) => event.preventDefault());
  /** The anomaly kinds of this capture, once known. */
  const setAnomalyKinds = (kinds: string[]) => {
    const anomaly = controls.get('anomaly') as HTMLSelectElement;
    const all = [...new Set([...kinds, state.filters.anomaly].filter(Boolean))].sort();
    anomaly.replaceChildren(h('option', { attrs: { value: '' } }, 'any'), ...all.map((k) => h('option', { attrs: { value: k } }, k)));
    anomaly.value = state.filters.anomaly;
  };
  return { form, sync, setAnomalyKinds };
}

const COLUMNS: { key: string | null; label: string; sort?: string }[] = [
  { key: null, label: 'Select' },
  { key: 'startTime', label: 'Start (UTC)', sort: 'startTime' },
  { key: 'caller', label: 'Caller → callee', sort: 'caller' },
  { key: 'outcome', label: 'Outcome', sort: 'outcome' },
  { key: 'duration', label: 'Duration', sort: 'duration' },
  { key: 'postDialDelay', label: 'Post-dial delay', sort: 'postDialDelay' },
  { key: 'messages', label: 'Msgs', sort: 'messages' },
  { key: 'anomalies', label: 'Anomalies' },
];

function party(p: CallRow['caller']): string {
  return p.display ? `${p.display} <${p.user ?? uriUser(p.uri) ?? '?'}>` : (p.user ?? uriUser(p.uri) ?? '?');
}

function callsTable(scope: Scope, items: CallRow[], state: TableState, selected: Set<string>, resort: () => void, selectionChanged: () => void): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty' }, 'No call matches these filters.');
  const head = h('tr', null, ...COLUMNS.map((col) => {
    if (!col.sort) return h('th', { attrs: { scope: 'col' } }, col.key === null ? h('span', { class: 'visually-hidden' }, col.label) : col.label);
    const active = state.sort.replace(/^-/, '') === col.sort;
    const descending = state.sort.startsWith('-');
    const button = h('button', { class: 'sort', attrs: { type: 'button' } }, col.label, active ? (descending ? ' ▼' : ' ▲') : '');
    button.addEventListener('click', () => {
      state.sort = active && !descending ? `-${col.sort}` : col.sort!;
      state.offset = 0;
      resort();
    });
    return h('th', { attrs: { scope: 'col', 'aria-sort': active ? (descending ? 'descending' : 'ascending') : null } }, button);
  }));
  const rows = items.map((call, i) => {
    const href = callPath(scope, [call.callId]);
    const box = h('input', { attrs: { type: 'checkbox', 'aria-label': `Select call ${call.callId}`, tabindex: -1, checked: selected.has(call.callId) } });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(call.callId);
      else selected.delete(call.callId);
      selectionChanged();
    });
    const anomalies = h('td', null, ...call.anomalyKinds.map((kind) => h('span', { class: 'badge anomaly-badge' }, `⚠ ${kind}`)));
    const row = h('tr', { attrs: { tabindex: i === 0 ? 0 : -1, 'data-call-id': call.callId } },
      h('td', null, box),
      h('td', { class: 'mono' }, formatEpoch(call.startTime, false)),
      h('td', { class: 'parties' }, link(href, party(call.caller), ' → ', party(call.callee)), h('div', { class: 'callid mono' }, call.callId)),
      h('td', null, outcomeBadge(call.outcome ?? call.kind, call.finalStatus), call.finalReason ? h('span', { class: 'reason' }, ` ${call.finalReason}`) : null),
      h('td', { class: 'num' }, formatDuration(call.duration)),
      h('td', { class: 'num' }, formatDuration(call.postDialDelay)),
      h('td', { class: 'num' }, formatCount(call.messageCount)),
      anomalies);
    row.addEventListener('keydown', (event) => {
      const move = (to: Element | null) => {
        if (!(to instanceof HTMLTableRowElement)) return;
        row.tabIndex = -1;
        to.tabIndex = 0;
        to.focus();
      };
      if (event.key === 'ArrowDown') move(row.nextElementSibling);
      else if (event.key === 'ArrowUp') move(row.previousElementSibling);
      else if (event.key === 'Home') move(row.parentElement!.firstElementChild);
      else if (event.key === 'End') move(row.parentElement!.lastElementChild);
      else if (event.key === 'Enter') navigate(href);
      else if (event.key === ' ') {
        box.checked = !box.checked;
        box.dispatchEvent(new Event('change'));
      } else return;
      event.preventDefault();
    });
    return row;
  });
  return h('table', { class: 'data calls-table', attrs: { 'aria-label': 'Calls: arrow keys move, Enter opens, Space selects' } },
    h('thead', null, head), h('tbody', null, ...rows));
}

function searchSection(scope: Scope): HTMLElement {
  const input = h('input', { attrs: { type: 'search', id: 'message-search', placeholder: 'Any header or body text: a number, a tag, a codec, an error phrase…', 'aria-label': 'Search every message' } });
  const results = h('div', { class: 'search-results', attrs: { 'aria-live': 'polite' } });
  const form = h('form', { class: 'search', attrs: { role: 'search' } }, h('label', { attrs: { for: 'message-search' } }, 'Search messages'), input, h('button', { attrs: { type: 'submit' } }, 'Search'));
  const run = async (q: string) => {
    setQuery({ search: q || null });
    if (!q) {
      results.replaceChildren();
      return;
    }
    replaceChildren(results, h('p', { class: 'loading' }, 'Searching…'));
    try {
      const { total, items } = await getJson<{ total: number; items: SearchHit[] }>(`${scope.api}/search?q=${encodeURIComponent(q)}&limit=200`);
      replaceChildren(results, searchResults(scope, q, total, items));
    } catch (error) {
      replaceChildren(results, errorBox(`Search failed: ${(error as Error).message}`));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(input.value.trim());
  });
  const initial = new URLSearchParams(location.search).get('search');
  if (initial) {
    input.value = initial;
    void run(initial);
  }
  return h('section', { class: 'search-box', attrs: { 'aria-label': 'Message search' } }, form, results);
}

function searchResults(scope: Scope, q: string, total: number, items: SearchHit[]): HTMLElement {
  if (total === 0) return h('p', { class: 'empty' }, `No message contains “${q}”.`);
  const byCall = new Map<string, SearchHit[]>();
  for (const hit of items) {
    const key = hit.callId ?? '';
    byCall.set(key, [...(byCall.get(key) ?? []), hit]);
  }
  return h('div', null,
    h('p', null, `${formatCount(total)} message${total > 1 ? 's' : ''} in ${formatCount(byCall.size)} call${byCall.size > 1 ? 's' : ''}${items.length < total ? ` (first ${items.length} shown)` : ''}.`),
    h('ul', { class: 'hits' }, ...[...byCall].map(([callId, hits]) => h('li', null,
      callId ? link(callPath(scope, [callId]), h('span', { class: 'mono' }, callId)) : h('span', null, 'no Call-ID'),
      h('ul', null, ...hits.map((hit) => h('li', null,
        callId ? link(callPath(scope, [callId], hit.message), `#${hit.message} ${hit.label}`) : `#${hit.message} ${hit.label}`,
        h('span', { class: 'mono muted' }, ` ${formatEpoch(hit.time, false)} `),
        h('span', { class: 'snippet' }, hit.snippet)))))))); 
}
