// The start page: upload a capture (drop or pick; upload progress, then analysis progress
// over Server-Sent Events) and the list of stored captures.
import { ApiError, getJson, sendJson } from '../api.js';
import { setCrumbs } from '../chrome.js';
import { errorBox, h, link, replaceChildren } from '../dom.js';
import { formatBytes, formatCount, formatDuration, formatEpoch, secondsBetween } from '../format.js';
import { navigate } from '../router.js';
import type { Cleanup } from '../router.js';
import type { CaptureSummary } from '../types.js';

const ACCEPT = '.pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap,application/gzip';

export function renderCaptures(app: HTMLElement, current: () => boolean): Cleanup {
  setCrumbs([{ label: 'Captures' }]);
  const closers: (() => void)[] = [];
  const fileInput = h('input', { attrs: { type: 'file', accept: ACCEPT, id: 'file-input', class: 'visually-hidden' } });
  const status = h('div', { class: 'upload-status', attrs: { 'aria-live': 'polite' } });
  const drop = h('div', { class: 'dropzone', attrs: { tabindex: 0, role: 'button', 'aria-describedby': 'drop-help' } },
    h('strong', null, 'Drop a capture here'),
    h('span', { attrs: { id: 'drop-help' } }, ' or ', h('label', { class: 'button', attrs: { for: 'file-input' } }, 'choose a file'),
      ' — pcap, pcapng, gzipped or not'),
  );
  const list = h('div', { class: 'capture-list' }, h('p', { class: 'loading' }, 'Loading captures…'));

  replaceChildren(app,
    h('h1', null, 'SIP captures'),
    h('section', { class: 'upload', attrs: { 'aria-label': 'Upload a capture' } }, drop, fileInput, status),
    h('section', { attrs: { 'aria-label': 'Stored captures' } }, h('h2', null, 'Stored captures'), list),
  );

  let poll: ReturnType<typeof setTimeout> | undefined;
  closers.push(() => clearTimeout(poll));
  const refresh = async () => {
    clearTimeout(poll);
    try {
      const { items } = await getJson<{ items: CaptureSummary[] }>('/api/captures');
      if (!current()) return;
      replaceChildren(list, captureTable(items, refresh));
      // Captures still being analysed (here or by someone else) update by themselves.
      if (items.some((c) => c.status === 'analyzing' || c.status === 'uploading')) poll = setTimeout(() => void refresh(), 2000);
    } catch (error) {
      if (current()) replaceChildren(list, errorBox(`Could not list the captures: ${(error as Error).message}`));
    }
  };

  const start = (file: File) => {
    closers.push(upload(file, status, current, refresh));
  };
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) start(file);
    fileInput.value = '';
  });
  drop.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      fileInput.click();
    }
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) start(file);
  });
  void refresh();
  return () => closers.forEach((close) => close());
}

function progressRow(label: string): { row: HTMLElement; bar: HTMLProgressElement; text: HTMLElement } {
  const bar = h('progress', { attrs: { max: 1, value: 0, 'aria-label': label } });
  const text = h('span', { class: 'progress-text' });
  return { row: h('div', { class: 'progress-row' }, h('span', { class: 'progress-label' }, label), bar, text), bar, text };
}

/**
 * Sends the file (XMLHttpRequest: fetch reports no upload progress), then follows the
 * analysis over /events and opens the capture when it is ready. Returns a function that
 * stops listening.
 */
function upload(file: File, status: HTMLElement, current: () => boolean, refresh: () => Promise<void>): () => void {
  const sending = progressRow('Upload');
  const analysing = progressRow('Analysis');
  const heading = h('p', { class: 'upload-name' }, h('strong', null, file.name), ` (${formatBytes(file.size)})`);
  replaceChildren(status, heading, sending.row);
  let events: EventSource | null = null;
  const xhr = new XMLHttpRequest();
  const fail = (reason: string) => {
    if (!current()) return;
    replaceChildren(status, heading, errorBox(`${file.name} was not accepted: ${reason}`));
  };
  xhr.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return;
    sending.bar.value = event.loaded / event.total;
    sending.text.textContent = `${Math.round((100 * event.loaded) / event.total)} % — ${formatBytes(event.loaded)} of ${formatBytes(event.total)}`;
  });
  xhr.addEventListener('error', () => fail('the connection to the server failed'));
  xhr.addEventListener('load', () => {
    let body: { capture?: CaptureSummary; error?: string } = {};
    try {
      body = JSON.parse(xhr.responseText) as typeof body;
    } catch {
      // not JSON
    }
    if (xhr.status >= 400 || !body.capture) {
      fail(body.error ?? `${xhr.status} ${xhr.statusText}`);
      return;
    }
    sending.bar.value = 1;
    sending.text.textContent = `done — ${formatBytes(file.size)}`;
    const capture = body.capture;
    if (capture.status === 'ready') {
      navigate(`/captures/${encodeURIComponent(capture.id)}`);
      return;
    }
    status.appendChild(analysing.row);
    analysing.text.textContent = 'waiting for a worker…';
    void refresh();
    events = new EventSource(`/api/captures/${encodeURIComponent(capture.id)}/events`);
    events.addEventListener('progress', (event) => {
      const p = JSON.parse((event as MessageEvent<string>).data) as { phase: string; bytes: number; totalBytes: number; messages: number };
      if (p.phase !== 'analysis') return;
      analysing.bar.value = p.totalBytes ? p.bytes / p.totalBytes : 0;
      analysing.text.textContent = `${p.totalBytes ? Math.round((100 * p.bytes) / p.totalBytes) : 0} % — ${formatCount(p.messages)} SIP messages`;
    });
    events.addEventListener('ready', () => {
      events?.close();
      if (current()) navigate(`/captures/${encodeURIComponent(capture.id)}`);
    });
    events.addEventListener('failed', (event) => {
      events?.close();
      let reason = 'the analysis failed';
      try {
        reason = (JSON.parse((event as MessageEvent<string>).data) as { reason?: string }).reason ?? reason;
      } catch {
        // keep the generic reason
      }
      fail(reason);
      void refresh();
    });
  });
  const form = new FormData();
  form.append('file', file, file.name);
  xhr.open('POST', '/api/captures');
  xhr.setRequestHeader('accept', 'application/json');
  xhr.send(form);
  return () => {
    events?.close();
  };
}

function anomalyCell(c: CaptureSummary): HTMLElement {
  const cell = h('td', { class: 'num' });
  const { error = 0, warning = 0, info = 0 } = c.anomalies ?? {};
  if (!error && !warning && !info) cell.append('0');
  if (error) cell.append(h('span', { class: 'sev sev-error' }, `${error} error${error > 1 ? 's' : ''}`), ' ');
  if (warning) cell.append(h('span', { class: 'sev sev-warning' }, `${warning} warning${warning > 1 ? 's' : ''}`), ' ');
  if (info) cell.append(h('span', { class: 'sev sev-info' }, `${info} info`));
  return cell;
}

function statusText(c: CaptureSummary): string {
  if (c.status === 'failed') return c.error ? `failed: ${c.error}` : 'failed';
  if (c.status === 'analyzing' && c.progress && c.progress.totalBytes > 0) return `analyzing ${Math.round((100 * c.progress.bytes) / c.progress.totalBytes)} %`;
  return c.status;
}

function captureTable(items: CaptureSummary[], refresh: () => Promise<void>): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty' }, 'No capture yet: upload one above.');
  const rows = items.map((c) => {
    const span = c.firstTime && c.lastTime ? `${formatEpoch(c.firstTime)} (${formatDuration(secondsBetween(c.firstTime, c.lastTime))})` : '–';
    const remove = h('button', { class: 'small danger', attrs: { type: 'button', 'aria-label': `Delete ${c.name}` } }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!confirm(`Delete ${c.name}, its analysis and its share links?`)) return;
      try {
        await sendJson('DELETE', `/api/captures/${encodeURIComponent(c.id)}`);
      } catch (error) {
        alert(`Could not delete: ${(error as ApiError).message}`);
      }
      await refresh();
    });
    return h('tr', null,
      h('td', null, c.status === 'ready' ? link(`/captures/${encodeURIComponent(c.id)}`, c.name) : c.name),
      h('td', { class: 'num' }, formatBytes(c.size)),
      h('td', null, span),
      h('td', { class: 'num' }, formatCount(c.messages)),
      h('td', { class: 'num' }, formatCount(c.calls)),
      anomalyCell(c),
      h('td', null, h('span', { class: `status status-${c.status}`, title: c.error ?? '' }, statusText(c))),
      h('td', null, remove),
    );
  });
  return h('table', { class: 'data captures' },
    h('thead', null, h('tr', null, ...['Name', 'Size', 'Time span', 'Messages', 'Calls', 'Anomalies', 'Status', ''].map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
    h('tbody', null, ...rows));
}
