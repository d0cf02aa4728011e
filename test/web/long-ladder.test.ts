// A call of 5000 messages (bench/long-call.ts) in a real browser against the real server:
// the diagram holds only the rows in view in the DOM, while its scroll extent covers every
// message, so that scrolling reaches each row, the last ones included, and the keyboard
// jumps to both ends.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { makeLongCall } from '../../bench/long-call.js';
import { launchChromium, openPage, startServer, uploadViaApi, type Server, type WatchedPage } from './harness.js';

const MESSAGES = 5000;
/** More than a 800-pixel-high view can show at the smallest row gap, far fewer than the call has. */
const MAX_ARROWS_IN_DOM = 60;

let server: Server;
let browser: Browser;
let watched: WatchedPage;
let dir: string;
const long = makeLongCall(MESSAGES);

/** Message ids of the arrows in the DOM, ascending. */
async function drawnIds(page: Page): Promise<number[]> {
  return page.$$eval('g.arrow', (nodes) => nodes.map((n) => Number(n.getAttribute('data-msg'))).sort((a, b) => a - b));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipladder-long-'));
  const file = path.join(dir, 'long-call.pcapng');
  writeFileSync(file, long.bytes);
  [server, browser] = await Promise.all([startServer(), launchChromium()]);
  const id = await uploadViaApi(server, file);
  watched = await openPage(browser);
  await watched.page.goto(`${server.url}/captures/${id}/calls/${encodeURIComponent(long.callId)}`);
  await watched.page.waitForSelector('g.arrow');
}, 90_000);

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a ladder of 5000 messages', () => {
  it('draws the first rows and only the rows in view', async () => {
    const { page } = watched;
    expect(long.messages).toBe(MESSAGES);
    expect(await page.locator('svg.ladder-svg').getAttribute('aria-label')).toBe(`Ladder diagram: ${MESSAGES} messages between 2 endpoints`);
    const ids = await drawnIds(page);
    expect(ids[0]).toBe(0);
    expect(ids.length).toBeGreaterThan(5);
    expect(ids.length).toBeLessThan(MAX_ARROWS_IN_DOM);
    // Consecutive rows, starting with the call's set-up.
    expect(ids).toEqual(ids.map((_, i) => i));
    expect(await page.locator('g.arrow[data-msg="0"] text.label').textContent()).toBe('INVITE');
    expect(await page.locator('.call-summary').textContent()).toContain(`${MESSAGES.toLocaleString('en-US')} messages`);
    expect(watched.problems).toEqual([]);
  });

  it('reaches every row by scrolling, with a bounded number of arrows in the DOM all along', async () => {
    const { page } = watched;
    const seen = await page.evaluate(() => {
      const svg = document.querySelector('svg.ladder-svg')!;
      const ids = new Set<number>();
      let most = 0;
      // One wheel event at a time, half a view each: the view redraws synchronously on each.
      for (let step = 0; step < 2000; step++) {
        const arrows = document.querySelectorAll('g.arrow');
        most = Math.max(most, arrows.length);
        const before = ids.size;
        arrows.forEach((a) => ids.add(Number(a.getAttribute('data-msg'))));
        if (step > 0 && ids.size === before) break;
        svg.dispatchEvent(new WheelEvent('wheel', { deltaY: 350, bubbles: true, cancelable: true }));
      }
      return { ids: [...ids].sort((a, b) => a - b), most };
    });
    expect(seen.ids.length).toBe(MESSAGES);
    expect(seen.ids[MESSAGES - 1]).toBe(MESSAGES - 1);
    expect(seen.most).toBeLessThan(MAX_ARROWS_IN_DOM);
    // At the end of the scroll: the call's last messages, and no longer its first.
    const ids = await drawnIds(page);
    expect(ids.at(-1)).toBe(MESSAGES - 1);
    expect(ids).not.toContain(0);
    expect(await page.locator(`g.arrow[data-msg="${MESSAGES - 2}"] text.label`).textContent()).toBe('BYE');
    expect(await page.locator(`g.arrow[data-msg="${MESSAGES - 1}"] text.label`).textContent()).toBe('200 OK');
    expect(watched.problems).toEqual([]);
  }, 60_000);

  it('jumps to the first and the last message with Home and End', async () => {
    const { page } = watched;
    await page.locator('svg.ladder-svg').focus();
    await page.keyboard.press('Home');
    await page.waitForSelector('g.arrow.selected[data-msg="0"]');
    expect(await drawnIds(page)).toContain(0);
    await page.locator('svg.ladder-svg').focus();
    await page.keyboard.press('End');
    await page.waitForSelector(`g.arrow.selected[data-msg="${MESSAGES - 1}"]`);
    expect(new URL(page.url()).searchParams.get('msg')).toBe(String(MESSAGES - 1));
    expect((await drawnIds(page)).length).toBeLessThan(MAX_ARROWS_IN_DOM);
    await page.locator('.message-panel pre.raw').waitFor();
    expect(await page.locator('.message-panel pre.raw').textContent()).toMatch(/^SIP\/2\.0 200 OK\n/);
    expect(watched.problems).toEqual([]);
  }, 60_000);
});
