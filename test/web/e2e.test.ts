// The page in a real browser against the real server: upload, calls table, ladder diagram,
// message panel, filters, registration review, share links, exports, and a capture full of
// HTML and script that must show as text and run nothing. Every page must stay free of
// console errors. Also writes the screenshots in docs/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { corpusFile, corpusMessages, launchChromium, openPage, ROOT, startServer, uploadViaApi, type Server, type WatchedPage } from './harness.js';

const TALL = { width: 1280, height: 1500 };
const SCREENSHOTS = path.join(ROOT, 'docs/screenshots');

let server: Server;
let browser: Browser;
const captures: Record<string, string> = {};
const opened: WatchedPage[] = [];

async function open(viewport?: { width: number; height: number }, colorScheme?: 'light' | 'dark'): Promise<WatchedPage> {
  const watched = await openPage(browser, viewport, colorScheme);
  opened.push(watched);
  return watched;
}

/** Every page opened by the current test had no console error, uncaught exception or dialog. */
function expectNoProblems(allowed: RegExp | null = null): void {
  for (const { problems } of opened) expect(problems.filter((p) => !allowed || !allowed.test(p))).toEqual([]);
}

async function captureId(name: string): Promise<string> {
  captures[name] ??= await uploadViaApi(server, corpusFile(name));
  return captures[name];
}

async function callIdOf(name: string): Promise<string> {
  return corpusMessages(name)[0].call_id;
}

function callUrl(capture: string, callId: string, msg?: number): string {
  return `${server.url}/captures/${capture}/calls/${encodeURIComponent(callId)}${msg === undefined ? '' : `?msg=${msg}`}`;
}

/** The arrows in the DOM: message id, label, sender and receiver lanes. */
async function arrows(page: Page): Promise<{ msg: number; label: string; from: string; to: string }[]> {
  return page.$$eval('g.arrow', (nodes) => nodes.map((n) => ({
    msg: Number(n.getAttribute('data-msg')),
    label: n.querySelector('text.label')?.textContent ?? '',
    from: n.getAttribute('data-from') ?? '',
    to: n.getAttribute('data-to') ?? '',
  })).sort((a, b) => a.msg - b.msg));
}

/** The label without the ⚠ mark and the copy number. */
function baseLabel(label: string): string {
  return label.replace(/^⚠ /, '').replace(/ · copy \d+$/, '');
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
}, 60_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map(({ context }) => context.close()));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('web page', () => {
  it('uploads a capture through the page, follows the analysis and opens its overview', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/`);
    await page.setInputFiles('#file-input', corpusFile('anomaly-2xx-never-acked'));
    await page.waitForURL(/\/captures\/[^/]+$/, { timeout: 60_000 });
    captures['anomaly-2xx-never-acked'] = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
    await page.waitForSelector('table.calls-table tbody tr');
    expect(await page.locator('h1').textContent()).toBe('anomaly-2xx-never-acked.pcapng');
    expect(await page.locator('table.calls-table tbody tr').count()).toBe(1);
    await page.goto(`${server.url}/`);
    await page.waitForSelector('table.captures tbody tr');
    expect(await page.locator('table.captures').textContent()).toContain('anomaly-2xx-never-acked.pcapng');
    expectNoProblems();
  }, 90_000);

  it('shows the server\'s reason for a rejected file', async () => {
    const { page } = await open();
    await page.goto(`${server.url}/`);
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('this is no capture\n'.repeat(20)) });
    const error = page.locator('.upload-status .error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^notes\.txt was not accepted: .+/);
    // The browser logs the refused upload's status itself; nothing else may appear.
    expectNoProblems(/Failed to load resource: the server responded with a status of 4\d\d/);
  });

  it('draws one arrow per message with the right labels and lanes, and opens the raw message on click', async () => {
    const name = 'anomaly-2xx-never-acked';
    const id = await captureId(name);
    const records = corpusMessages(name);
    const { page } = await open(TALL);
    await page.goto(`${server.url}/captures/${id}`);
    // Keyboard: the first row takes focus, Enter opens the call.
    await page.locator('table.calls-table tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/calls\//);
    await page.waitForSelector('g.arrow');
    const drawn = await arrows(page);
    expect(drawn.map((a) => a.msg)).toEqual(records.map((r) => r.msg));
    expect(drawn.map((a) => baseLabel(a.label))).toEqual(records.map((r) => (r.type === 'request' ? r.method : `${r.status} ${r.reason}`)));
    expect(drawn.map((a) => [a.from, a.to])).toEqual(records.map((r) => [r.src, r.dst]));
    // The ten retransmissions of the 200 OK are numbered, and the anomaly is marked on its arrows.
    expect(drawn.filter((a) => / · copy \d+$/.test(a.label)).map((a) => a.label.match(/copy (\d+)/)![1])).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    expect(drawn[3].label.startsWith('⚠ ')).toBe(true);
    expect(await page.locator('g.arrow.retrans').count()).toBe(10);
    const lanes = await page.$$eval('g.lane-header', (nodes) => nodes.map((n) => n.getAttribute('data-lane')));
    expect(lanes).toEqual([records[0].src, records[0].dst]);
    expect(await page.locator('.call-anomalies').textContent()).toContain('error');

    // Hover: the tooltip explains the message and lists its headers.
    await page.hover('g.arrow[data-msg="0"] text.label');
    const tip = page.locator('.ladder-tip');
    await tip.waitFor({ state: 'visible' });
    expect(await tip.textContent()).toContain('CSeq');
    expect(await tip.textContent()).toContain(records[0].call_id);

    // Click: the raw message, exactly as captured, in the side panel.
    await page.click('g.arrow[data-msg="3"] text.label');
    const raw = page.locator('.message-panel pre.raw');
    await raw.waitFor();
    const text = (await raw.textContent())!;
    expect(text.startsWith('SIP/2.0 200 OK\n')).toBe(true);
    expect(text).toContain(`Call-ID: ${records[3].call_id}`);
    expect(await page.locator('.message-panel .hname').allTextContents()).toEqual(expect.arrayContaining(['Via', 'From', 'To', 'Call-ID', 'CSeq']));
    expect(new URL(page.url()).searchParams.get('msg')).toBe('3');
    expect(await page.locator('g.arrow.selected').getAttribute('data-msg')).toBe('3');
    expect(await page.locator('.message-panel').textContent()).toContain('Transaction');
    // Arrow keys move the selection along the diagram.
    await page.locator('svg.ladder-svg').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('msg') === '4');
    expectNoProblems();
  }, 60_000);

  it('filters the calls table by anomaly kind and opens a call with the keyboard', async () => {
    const id = await captureId('callmix-udp-500');
    const { page } = await open();
    await page.goto(`${server.url}/captures/${id}`);
    await page.click('button[data-kind="service-unavailable-not-retried"]');
    await page.waitForFunction(() => document.querySelector('.pager-text')?.textContent === '1–16 of 16');
    expect(new URL(page.url()).searchParams.get('anomaly')).toBe('service-unavailable-not-retried');
    const rows = page.locator('table.calls-table tbody tr');
    expect(await rows.count()).toBe(16);
    for (const cell of await rows.locator('td:last-child').allTextContents()) expect(cell).toContain('service-unavailable-not-retried');
    for (const cell of await rows.locator('td:nth-child(4)').allTextContents()) expect(cell).toContain('503');
    const second = await rows.nth(1).getAttribute('data-call-id');
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/calls/${encodeURIComponent(second!)}`);
    await page.waitForSelector('g.arrow');
    // The filtered URL survives a reload.
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('.pager-text')?.textContent === '1–16 of 16');
    expectNoProblems();
  }, 60_000);

  it('draws several calls on one diagram and keeps only the rows in view in the DOM', async () => {
    const id = await captureId('callmix-udp-500');
    const { page } = await open();
    await page.goto(`${server.url}/captures/${id}`);
    await page.waitForSelector('table.calls-table tbody tr');
    const boxes = page.locator('table.calls-table tbody input[type=checkbox]');
    for (let i = 0; i < 30; i++) await boxes.nth(i).check();
    await page.click('text=Ladder of selected (30)');
    await page.waitForSelector('g.arrow');
    await page.waitForFunction(() => document.querySelectorAll('.call-summary').length === 30);
    const expectedTotal = (await page.locator('.call-summary').allTextContents()).reduce((n, t) => n + Number(/(\d+) messages/.exec(t)![1]), 0);
    expect(await page.locator('.call-summary').count()).toBe(30);
    const inDom = await page.locator('g.arrow').count();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(expectedTotal / 3);
    // End selects the last message: its arrow is drawn, the first ones no longer are.
    await page.locator('svg.ladder-svg').focus();
    await page.keyboard.press('End');
    await page.waitForSelector('g.arrow.selected');
    const last = Number(await page.locator('g.arrow.selected').getAttribute('data-msg'));
    expect(last).toBeGreaterThan(100);
    expect(await page.locator('g.arrow[data-msg="0"]').count()).toBe(0);
    expectNoProblems();
  }, 90_000);

  it('renames a lane with a host alias saved with the capture, and merges the ports of a host', async () => {
    const name = 'call-basic-udp';
    const id = await captureId(name);
    const records = corpusMessages(name);
    const { page } = await open();
    await page.goto(callUrl(id, records[0].call_id));
    await page.click(`g.lane-header[data-lane="${records[0].dst}"]`);
    await page.fill('#alias-name', 'bob\'s phone <PBX>');
    await page.click('dialog.alias-dialog button:text("Save")');
    await page.waitForFunction((lane) => document.querySelector(`g.lane-header[data-lane="${lane}"] .lane-label`)?.textContent === "bob's phone <PBX>", records[0].dst);
    // Kept with the capture: a reload shows the name.
    await page.reload();
    await page.waitForSelector(`g.lane-header[data-lane="${records[0].dst}"]`);
    expect(await page.locator(`g.lane-header[data-lane="${records[0].dst}"] .lane-address`).textContent()).toBe(records[0].dst);
    // Both ends are on 127.0.0.1: one lane per host leaves a single lane.
    await page.check('#merge-hosts');
    await page.waitForFunction(() => document.querySelectorAll('g.lane-header').length === 1);
    expect(new URL(page.url()).searchParams.get('merge')).toBe('host');
    expect(await page.locator('g.arrow').count()).toBe(records.length);
    expectNoProblems();
  });

  it('explains the failed registration of register-403-forbidden', async () => {
    const id = await captureId('register-403-forbidden');
    const { page } = await open();
    await page.goto(`${server.url}/captures/${id}/registrations`);
    const card = page.locator('article.registration').first();
    await card.waitFor();
    expect(await card.locator('.badge').textContent()).toBe('failed 403');
    const steps = await card.locator('.step').allTextContents();
    expect(steps).toHaveLength(4);
    expect(steps[0]).toMatch(/^REGISTER \(CSeq 1/);
    expect(steps[1]).toMatch(/^401/);
    expect(steps[2]).toMatch(/^REGISTER \(CSeq 2, with credentials/);
    expect(steps[3]).toMatch(/^403/);
    const failure = card.locator('.attempt.failed .explanation');
    expect(await failure.count()).toBe(1);
    expect((await failure.textContent())!.length).toBeGreaterThan(20);
    expectNoProblems();
  });

  it('creates a share link that opens the same diagram with the same message in a fresh browser', async () => {
    const name = 'anomaly-2xx-never-acked';
    const id = await captureId(name);
    const { page } = await open(TALL);
    await page.goto(callUrl(id, await callIdOf(name), 5));
    await page.waitForSelector('g.arrow.selected[data-msg="5"]');
    await page.waitForSelector('.message-panel pre.raw');
    await page.click('button:text("Share…")');
    await page.click('button:text("Create link")');
    const field = page.locator('input.share-url');
    await field.waitFor();
    const url = await field.inputValue();
    expect(url).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{22,}$`));
    const original = await arrows(page);

    const fresh = await open(TALL);
    await fresh.page.goto(url);
    await fresh.page.waitForSelector('g.arrow.selected[data-msg="5"]');
    expect(await arrows(fresh.page)).toEqual(original);
    await fresh.page.waitForSelector('.message-panel pre.raw');
    expect(await fresh.page.locator('.message-panel h2').first().textContent()).toContain('#5');
    expect(await fresh.page.locator('.shared-note, .topbar').allTextContents()).not.toContain('Share…');
    expect(await fresh.page.locator('button:text("Share…")').count()).toBe(0);
    expect(await fresh.page.locator('g.lane-header.editable').count()).toBe(0);
    expectNoProblems();
  }, 60_000);

  it('exports the diagram as text, SVG and PNG, and the call as pcap', async () => {
    const name = 'anomaly-2xx-never-acked';
    const id = await captureId(name);
    const { page } = await open();
    await page.goto(callUrl(id, await callIdOf(name)));
    await page.waitForSelector('g.arrow');
    const save = async (button: string): Promise<Buffer> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`.toolbar button:text-is("${button}")`)]);
      return readFileSync((await download.path())!);
    };
    const text = (await save('Text')).toString('utf8');
    expect(text).toContain('127.0.0.1:15101');
    expect(text).toMatch(/\|-+ INVITE -+>\|/);
    expect(text.split('\n').filter((line) => line.includes('200 OK')).length).toBe(12);
    const svg = (await save('SVG')).toString('utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('127.0.0.1:15100');
    expect((svg.match(/class="arrow /g) ?? []).length).toBe(16);
    const png = await save('PNG');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const href = await page.locator('.toolbar a:text-is("pcap")').getAttribute('href');
    const pcap = Buffer.from(await (await fetch(new URL(href!, server.url))).arrayBuffer());
    // Classic pcap, microsecond or nanosecond magic.
    expect([0xa1b2c3d4, 0xa1b23c4d]).toContain(pcap.readUInt32LE(0));
    expectNoProblems();
  }, 60_000);

  it('shows a capture full of HTML and script as text and runs none of it', async () => {
    const { page } = await open(TALL);
    await page.goto(`${server.url}/`);
    await page.setInputFiles('#file-input', path.join(ROOT, 'test/fixtures/web/xss.pcap'));
    await page.waitForURL(/\/captures\/[^/]+$/, { timeout: 60_000 });
    await page.waitForSelector('table.calls-table tbody tr');
    expect(await page.locator('table.calls-table').textContent()).toContain('<script>window.__xss');
    await page.locator('table.calls-table tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('g.arrow');
    await page.hover('g.arrow[data-msg="0"] text.label');
    await page.locator('.ladder-tip').waitFor({ state: 'visible' });
    expect(await page.locator('.ladder-tip').textContent()).toContain('<script>window.__xss');
    await page.click('g.arrow[data-msg="1"] text.label');
    await page.waitForSelector('.message-panel pre.raw');
    expect(await page.locator('.message-panel pre.raw').textContent()).toContain('SIP/2.0 486 Busy "><img src=x onerror=');
    expect(await page.locator('g.arrow[data-msg="1"] text.label').textContent()).toContain('486 Busy');
    await page.click('g.arrow[data-msg="0"] text.label');
    await page.waitForFunction(() => document.querySelector('.message-panel pre.raw')?.textContent?.startsWith('INVITE'));
    expect(await page.locator('.message-panel').textContent()).toContain('a=tool:"><img src=x onerror=');
    await page.locator('svg.ladder-svg').focus();
    await page.goBack();
    await page.fill('#message-search', 'onerror');
    await page.click('.search button');
    await page.waitForSelector('.search-results .snippet');
    // Nothing ran: no marker set, no element made of the payload, no dialog.
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img[src="x"], script:not([src])').count()).toBe(0);
    expectNoProblems();
  }, 90_000);

  it('takes the screenshots of docs/screenshots at 1280x800, in the light and the dark theme', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const mix = await captureId('callmix-udp-500');
    const name = 'anomaly-2xx-never-acked';
    const ladder = callUrl(await captureId(name), await callIdOf(name), 3);
    const registrations = `${server.url}/captures/${await captureId('register-403-forbidden')}/registrations`;
    for (const scheme of ['light', 'dark'] as const) {
      const file = (page: string) => path.join(SCREENSHOTS, scheme === 'light' ? `${page}.png` : `${page}-${scheme}.png`);
      const { page } = await open(undefined, scheme);
      await page.goto(`${server.url}/captures/${mix}`);
      await page.waitForSelector('table.calls-table tbody tr');
      await page.waitForSelector('.anomaly-kinds li');
      // The theme follows the system: the page's background is the scheme's.
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(scheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(20, 24, 29)');
      await page.screenshot({ path: file('overview') });

      await page.goto(ladder);
      await page.waitForSelector('.message-panel pre.raw');
      await page.waitForSelector('.call-summary');
      await page.screenshot({ path: file('ladder') });

      await page.goto(registrations);
      await page.waitForSelector('article.registration');
      await page.screenshot({ path: file('registrations') });
    }
    expectNoProblems();
  }, 90_000);
});
