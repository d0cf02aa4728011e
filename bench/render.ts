// The browser half of the benchmark: the call view of one long call in headless Chromium
// (Debian's, driven by playwright-core). Times the page from navigation to the diagram being
// drawn (the `ladder-drawn` mark of web/src/ladder/view.ts), then scrolls the whole diagram
// with one wheel event per frame and records every frame's length.
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 800 };
/** Fresh page loads whose drawing time is measured; the median is reported. */
const LOADS = 5;
const SCROLL_FRAMES = 300;

export interface RenderFigures {
  messages: number;
  /** Navigation start to the diagram drawn, each load, in ms. */
  drawnMs: number[];
  medianDrawnMs: number;
  /** Navigation start to the first frame painted after the mark, median, in ms. */
  medianPaintedMs: number;
  /** Navigation start to the ladder's JSON received (the server's share), median, in ms. */
  medianLadderFetchedMs: number;
  /** Arrow elements in the DOM after drawing (only the rows in view are). */
  arrowsInDom: number;
  scroll: ScrollFigures;
}

export interface ScrollFigures {
  frames: number;
  pixels: number;
  /** Frames per second over the scroll. */
  fps: number;
  /** Frame lengths in ms: median, 95th percentile, longest. */
  p50FrameMs: number;
  p95FrameMs: number;
  maxFrameMs: number;
  /** Frames longer than 1/30 s, i.e. visibly dropped. */
  slowFrames: number;
  /** The view's own work per wheel event (script, without style, layout and paint): median and 95th percentile, ms. */
  p50ScriptMs: number;
  p95ScriptMs: number;
  maxArrowsInDom: number;
  /** Whether the last message's arrow was drawn when the scroll ended. */
  reachedEnd: boolean;
}

/** The browser globals the in-page functions use: the bench compiles without the DOM library. */
interface PageGlobals {
  document: {
    querySelector(selector: string): { dispatchEvent(event: unknown): boolean } | null;
    querySelectorAll(selector: string): { length: number };
  };
  requestAnimationFrame(callback: (time: number) => void): number;
  WheelEvent: new (type: string, init: { deltaY: number; bubbles: boolean; cancelable: boolean }) => unknown;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

export async function measureRender(url: string, messages: number): Promise<RenderFigures> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const drawnMs: number[] = [];
    const paintedMs: number[] = [];
    const fetchedMs: number[] = [];
    let arrowsInDom = 0;
    let scroll: ScrollFigures | null = null;
    for (let load = 0; load < LOADS; load++) {
      const context = await browser.newContext({ viewport: VIEWPORT });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      await page.goto(url);
      // Drawn, or an error shown instead (the page's error box), within a minute.
      await page.waitForFunction(() => performance.getEntriesByName('ladder-drawn').length > 0 || (globalThis as unknown as PageGlobals).document.querySelector('.error') !== null, null, { timeout: 60_000 })
        .catch(() => problems.push('the diagram was not drawn within 60 s'));
      const shown = await page.locator('.error').allTextContents();
      if (shown.length > 0 || problems.length > 0) throw new Error(`the call view of ${url} failed: ${[...shown, ...problems].join('; ')}`);
      const times = await page.evaluate(() => new Promise<[number, number, number]>((resolve) => {
        const { requestAnimationFrame } = globalThis as unknown as PageGlobals;
        const drawn = performance.getEntriesByName('ladder-drawn')[0].startTime;
        const ladder = performance.getEntriesByType('resource').find((r) => r.name.includes('/ladder?')) as { responseEnd: number } | undefined;
        // The first animation frame after the mark runs style and layout; the one after it starts once that frame is painted.
        requestAnimationFrame(() => requestAnimationFrame((t) => resolve([drawn, t, ladder?.responseEnd ?? NaN])));
      }));
      drawnMs.push(times[0]);
      paintedMs.push(times[1]);
      fetchedMs.push(times[2]);
      arrowsInDom = await page.locator('g.arrow').count();
      if (load === LOADS - 1) scroll = await measureScroll(page, messages);
      await context.close();
    }
    return { messages, drawnMs, medianDrawnMs: median(drawnMs), medianPaintedMs: median(paintedMs), medianLadderFetchedMs: median(fetchedMs), arrowsInDom, scroll: scroll! };
  } finally {
    await browser.close();
  }
}

/** Scrolls from the first row to the last in SCROLL_FRAMES frames, one wheel event per frame (the view redraws on each). */
async function measureScroll(page: import('playwright-core').Page, messages: number): Promise<ScrollFigures> {
  const result = await page.evaluate(async ({ frames, rows }) => {
    const { document, requestAnimationFrame, WheelEvent } = globalThis as unknown as PageGlobals;
    const svg = document.querySelector('svg.ladder-svg')!;
    // 44 px per row in sequence mode (ROW_GAP): the whole diagram, plus a screen.
    const step = Math.ceil((rows * 44 + 800) / frames);
    const stamps: number[] = [];
    const script: number[] = [];
    let maxArrows = 0;
    await new Promise<void>((resolve) => {
      const frame = (t: number) => {
        stamps.push(t);
        maxArrows = Math.max(maxArrows, document.querySelectorAll('g.arrow').length);
        if (stamps.length > frames) return resolve();
        const before = performance.now();
        svg.dispatchEvent(new WheelEvent('wheel', { deltaY: step, bubbles: true, cancelable: true }));
        script.push(performance.now() - before);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    return { stamps, script, maxArrows, pixels: step * frames };
  }, { frames: SCROLL_FRAMES, rows: messages });
  const lengths = result.stamps.slice(1).map((t, i) => t - result.stamps[i]).sort((a, b) => a - b);
  const duration = result.stamps[result.stamps.length - 1] - result.stamps[0];
  const script = [...result.script].sort((a, b) => a - b);
  return {
    frames: lengths.length,
    pixels: result.pixels,
    fps: (lengths.length / duration) * 1000,
    p50FrameMs: percentile(lengths, 50),
    p95FrameMs: percentile(lengths, 95),
    maxFrameMs: lengths[lengths.length - 1],
    slowFrames: lengths.filter((l) => l > 1000 / 30).length,
    p50ScriptMs: percentile(script, 50),
    p95ScriptMs: percentile(script, 95),
    maxArrowsInDom: result.maxArrows,
    reachedEnd: (await page.locator(`g.arrow[data-msg="${messages - 1}"]`).count()) === 1,
  };
}
