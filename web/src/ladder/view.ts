// The live ladder diagram: an SVG the size of its container in which only the rows in view
// exist (a call with thousands of messages stays smooth), panned and zoomed with d3-zoom.
// Zoom scales the time axis only (text keeps its size); labels and SDP lines give way as
// rows get too close to hold them.
import { select, zoom, zoomIdentity, type Selection, type ZoomBehavior, type ZoomTransform } from 'd3';
import type { LadderArrow, LadderModel } from '../types.js';
import { formatRowTime, type TimeMode } from '../format.js';
import { clampPan, layoutLadder, panToRow, visibleRows, ROW_GAP, type Axis, type LadderGeometry } from './layout.js';
import { HEADER_HEIGHT, paintArrow, paintLaneHeader, rowTexts, type RowTexts } from './paint.js';

export const TIME_COLUMN = 128;
const GUTTER = 18;
const MIN_SCALE = 0.05;
const MAX_SCALE = 8;

export interface LadderViewOptions {
  time: TimeMode;
  axis: Axis;
  /** Describes an arrow in the hover tooltip. */
  describe(arrow: LadderArrow): HTMLElement;
  onSelect(messageId: number): void;
  /** Click on a lane header (renaming); omitted when read-only. */
  onLaneClick?(laneId: string): void;
}

type G = Selection<SVGGElement, unknown, null, undefined>;

let instances = 0;

export class LadderView {
  private model: LadderModel = { callIds: [], lanes: [], arrows: [], anomalies: [] };
  private geometry: LadderGeometry = { laneX: [], laneWidth: 0, rowY: [], height: 0, width: 0 };
  private texts = new Map<number, RowTexts>();
  private laneIndex = new Map<string, number>();
  private callLetter = new Map<string, string>();
  /** Dialogs numbered 1, 2, ... in order of appearance on this diagram (their ids are capture-wide and long). */
  private dialogNumbers = new Map<number, number>();
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly layers: { lanes: G; gutters: G; times: G; bodies: G; header: G };
  private readonly tip: HTMLDivElement;
  private readonly zoomBehaviour: ZoomBehavior<SVGSVGElement, unknown>;
  private readonly clipId = `ladder-clip-${++instances}`;
  private k = 1;
  private tx = 0;
  private ty = 0;
  private lastX = 0;
  private width = 0;
  private height = 0;
  private selected: number | null = null;
  private hoverTransaction: number | null = null;
  /** The zoom the gutter bars in the DOM were painted for (null: none painted since the last layout). */
  private gutterScale: number | null = null;
  /** Whether the rows of the current model have been drawn once (see render). */
  private drawn = false;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly container: HTMLElement, private options: LadderViewOptions) {
    container.classList.add('ladder');
    this.svg = select(container).append('svg').attr('class', 'ladder-svg').attr('tabindex', 0).attr('role', 'application')
      .attr('aria-roledescription', 'ladder diagram');
    const defs = this.svg.append('defs');
    defs.append('clipPath').attr('id', this.clipId).append('rect');
    this.layers = {
      lanes: this.svg.append('g').attr('class', 'lanes').attr('clip-path', `url(#${this.clipId})`),
      gutters: this.svg.append('g').attr('class', 'gutters'),
      times: this.svg.append('g').attr('class', 'times'),
      bodies: this.svg.append('g').attr('class', 'bodies').attr('clip-path', `url(#${this.clipId})`),
      header: this.svg.append('g').attr('class', 'header'),
    };
    this.tip = document.createElement('div');
    this.tip.className = 'ladder-tip';
    this.tip.hidden = true;
    container.appendChild(this.tip);

    this.zoomBehaviour = zoom<SVGSVGElement, unknown>()
      .scaleExtent([MIN_SCALE, MAX_SCALE])
      // Plain wheel scrolls (as everywhere else); Ctrl/⌘ + wheel and pinch zoom the time axis.
      .filter((event: Event) => {
        if (event.type === 'wheel') return (event as WheelEvent).ctrlKey || (event as WheelEvent).metaKey;
        if (event.type === 'dblclick') return false;
        return !(event as MouseEvent).button;
      })
      .constrain((t: ZoomTransform) => zoomIdentity.translate(t.x, clampPan(t.y, t.k, this.geometry.height, HEADER_HEIGHT, this.viewHeight())).scale(t.k))
      .on('zoom', (event: { transform: ZoomTransform }) => this.onZoom(event.transform));
    this.svg.call(this.zoomBehaviour);
    this.svg.on('wheel.scroll', (event: WheelEvent) => {
      if (event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      const dx = event.shiftKey ? event.deltaY : event.deltaX;
      const dy = event.shiftKey ? 0 : event.deltaY;
      this.panBy(-dx, -dy);
    });
    this.svg.on('keydown', (event: KeyboardEvent) => this.onKey(event));
    this.svg.on('mouseleave', () => this.hideTip());
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
  }

  setModel(model: LadderModel): void {
    this.model = model;
    this.laneIndex = new Map(model.lanes.map((lane, i) => [lane.id, i]));
    this.callLetter = new Map(model.callIds.map((id, i) => [id, letterOf(i)]));
    this.dialogNumbers = new Map();
    for (const arrow of model.arrows) {
      if (arrow.dialog !== null && !this.dialogNumbers.has(arrow.dialog)) this.dialogNumbers.set(arrow.dialog, this.dialogNumbers.size + 1);
    }
    this.svg.attr('aria-label', `Ladder diagram: ${model.arrows.length} messages between ${model.lanes.length} endpoints`);
    this.drawn = false;
    this.relayout();
    this.svg.call(this.zoomBehaviour.transform, zoomIdentity.translate(0, HEADER_HEIGHT + ROW_GAP / 2));
  }

  /** The number a dialog has on the left bar of this diagram. */
  dialogNumber(dialogId: number | null): number | null {
    return dialogId === null ? null : this.dialogNumbers.get(dialogId) ?? null;
  }

  setOptions(options: Partial<Pick<LadderViewOptions, 'time' | 'axis'>>): void {
    const axisChanged = options.axis !== undefined && options.axis !== this.options.axis;
    this.options = { ...this.options, ...options };
    if (axisChanged) {
      const keep = this.selected;
      this.relayout();
      if (keep !== null) this.reveal(keep);
    } else {
      this.layers.times.selectAll('*').remove();
      this.render();
    }
  }

  /** Highlights the arrow of `messageId` and brings it into view. */
  select(messageId: number | null, reveal = true): void {
    this.selected = messageId;
    if (messageId !== null && reveal) this.reveal(messageId);
    this.render();
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.container.replaceChildren();
  }

  /** Zooms the time axis by `factor` around the middle of the view. */
  zoomBy(factor: number): void {
    this.svg.call(this.zoomBehaviour.scaleBy, factor, [this.width / 2, (HEADER_HEIGHT + this.height) / 2]);
  }

  resetZoom(): void {
    this.svg.call(this.zoomBehaviour.transform, zoomIdentity.translate(this.lastX, HEADER_HEIGHT + ROW_GAP / 2));
    this.tx = 0;
    this.render();
  }

  private viewHeight(): number {
    return Math.max(0, this.height - HEADER_HEIGHT);
  }

  private left(): number {
    return TIME_COLUMN + GUTTER * (this.model.callIds.length > 1 ? 2 : 1) + 6;
  }

  private resize(): void {
    const box = this.container.getBoundingClientRect();
    if (box.width === this.width && box.height === this.height) return;
    this.width = box.width;
    this.height = box.height;
    this.svg.attr('width', this.width).attr('height', this.height);
    this.relayout();
  }

  private relayout(): void {
    const left = this.left();
    this.geometry = layoutLadder(this.model, this.options.axis, left, this.width - left - 8);
    this.svg.select(`#${this.clipId} rect`).attr('x', left).attr('y', HEADER_HEIGHT).attr('width', Math.max(0, this.width - left)).attr('height', this.viewHeight());
    this.texts.clear();
    // Everything painted depends on the geometry: start over.
    for (const layer of Object.values(this.layers)) layer.selectAll('*').remove();
    this.gutterScale = null;
    this.tx = this.clampX(this.tx);
    this.render();
  }

  /** Label and SDP line cut to the arrow, measured the first time the row is drawn (not for every row up front). */
  private textsOf(arrow: LadderArrow): RowTexts {
    let texts = this.texts.get(arrow.message);
    if (!texts) {
      texts = rowTexts(arrow, this.laneXOf(arrow.from), this.laneXOf(arrow.to), this.geometry.laneWidth);
      this.texts.set(arrow.message, texts);
    }
    return texts;
  }

  private laneXOf(laneId: string): number {
    return this.geometry.laneX[this.laneIndex.get(laneId) ?? 0] ?? this.left();
  }

  private clampX(tx: number): number {
    const overflow = this.geometry.width - (this.width - this.left() - 8);
    return overflow > 0 ? Math.min(0, Math.max(-overflow, tx)) : 0;
  }

  private onZoom(t: ZoomTransform): void {
    // d3-zoom's x is only used as a drag accumulator: the lanes pan horizontally by its change
    // while the scale stays, and do not move when the time axis is zoomed.
    if (t.k === this.k) this.tx = this.clampX(this.tx + (t.x - this.lastX));
    this.lastX = t.x;
    this.k = t.k;
    this.ty = t.y;
    // The row under the pointer may have left the DOM without a mouseleave.
    this.hoverTransaction = null;
    this.hideTip();
    this.render();
  }

  private panBy(dx: number, dy: number): void {
    this.svg.call(this.zoomBehaviour.translateBy, dx / this.k, dy / this.k);
  }

  private reveal(messageId: number): void {
    const index = this.model.arrows.findIndex((a) => a.message === messageId);
    if (index < 0) return;
    const y = this.geometry.rowY[index] * this.k + this.ty;
    if (y > HEADER_HEIGHT + ROW_GAP && y < this.height - ROW_GAP) return;
    // zoom.transform skips the constrain function: clamp here.
    const ty = clampPan(panToRow(this.geometry.rowY, index, this.k, HEADER_HEIGHT, this.viewHeight()), this.k, this.geometry.height, HEADER_HEIGHT, this.viewHeight());
    this.svg.call(this.zoomBehaviour.transform, zoomIdentity.translate(this.lastX, ty).scale(this.k));
  }

  private onKey(event: KeyboardEvent): void {
    const arrows = this.model.arrows;
    const index = this.selected === null ? -1 : arrows.findIndex((a) => a.message === this.selected);
    const page = this.viewHeight() * 0.8;
    const step: Record<string, () => void> = {
      ArrowDown: () => arrows.length && this.options.onSelect(arrows[Math.min(arrows.length - 1, index + 1)].message),
      ArrowUp: () => arrows.length && this.options.onSelect(arrows[Math.max(0, index - 1)].message),
      Home: () => arrows.length && this.options.onSelect(arrows[0].message),
      End: () => arrows.length && this.options.onSelect(arrows[arrows.length - 1].message),
      PageDown: () => this.panBy(0, -page),
      PageUp: () => this.panBy(0, page),
      ArrowLeft: () => this.panBy(80, 0),
      ArrowRight: () => this.panBy(-80, 0),
      '+': () => this.zoomBy(1.5),
      '=': () => this.zoomBy(1.5),
      '-': () => this.zoomBy(1 / 1.5),
      '0': () => this.resetZoom(),
    };
    const action = step[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  private render(): void {
    if (!this.width) return;
    const { rowY } = this.geometry;
    const [start, end] = visibleRows(rowY, HEADER_HEIGHT, this.height, this.k, this.ty);
    const rows = this.model.arrows.slice(start, end).map((arrow, i) => ({ arrow, index: start + i }));
    const gap = ROW_GAP * this.k;
    const minGap = this.options.axis === 'time' ? Math.min(gap, 38 * this.k) : gap;
    this.svg
      .classed('no-labels', minGap < 20)
      .classed('no-sdp', minGap < 34)
      .classed('no-times', minGap < 13)
      .classed('tx-hover', this.hoverTransaction !== null);
    const screenY = (index: number) => rowY[index] * this.k + this.ty;
    this.renderLanes();
    this.renderGutters(rows, screenY);
    this.renderTimes(rows, screenY);
    this.renderBodies(rows, screenY);
    this.renderHeader();
    if (!this.drawn && rows.length > 0) {
      this.drawn = true;
      // The render benchmark (bench/render.ts) times the page from navigation to this mark.
      performance.mark('ladder-drawn', { detail: { arrows: this.model.arrows.length } });
    }
  }

  private renderLanes(): void {
    this.layers.lanes.selectAll<SVGLineElement, string>('line')
      .data(this.model.lanes.map((l) => l.id), (d) => d)
      .join('line')
      .attr('class', 'lane-line')
      .attr('x1', (id) => this.laneXOf(id) + this.tx)
      .attr('x2', (id) => this.laneXOf(id) + this.tx)
      .attr('y1', HEADER_HEIGHT)
      .attr('y2', Math.min(this.height, this.geometry.height * this.k + this.ty + ROW_GAP));
  }

  /**
   * The dialog (and, with several calls, the Call-ID) of each row as a coloured bar with its number or letter.
   * A bar reaches halfway to the neighbouring rows, so it depends on the zoom but not on the pan: while
   * scrolling only the rows that come into view are painted.
   */
  private renderGutters(rows: { arrow: LadderArrow; index: number }[], screenY: (i: number) => number): void {
    const repaintAll = this.gutterScale !== this.k;
    this.gutterScale = this.k;
    const update = this.layers.gutters.selectAll<SVGGElement, { arrow: LadderArrow; index: number }>('g.gutter-row')
      .data(rows, (d) => d.arrow.message);
    update.exit().remove();
    const entered = update.enter().append('g').attr('class', 'gutter-row');
    entered.merge(update).attr('transform', (d) => `translate(0,${screenY(d.index)})`);
    (repaintAll ? entered.merge(update) : entered).each((d, i, nodes) => this.paintGutter(select(nodes[i]) as unknown as G, d.index));
  }

  private paintGutter(g: G, index: number): void {
    const arrows = this.model.arrows;
    const arrow = arrows[index];
    const multi = this.model.callIds.length > 1;
    const rowY = this.geometry.rowY;
    const half = (dir: -1 | 1) => {
      const j = index + dir;
      if (j < 0 || j >= arrows.length) return (ROW_GAP * this.k) / 2;
      return (Math.abs(rowY[j] - rowY[index]) * this.k) / 2;
    };
    g.selectAll('*').remove();
    const top = -half(-1);
    const height = -top + half(1);
    const columns: [number, string | null, string, string | null][] = [];
    const dialog = arrow.dialog;
    const prev = arrows[index - 1];
    const mark = this.dialogNumber(dialog);
    columns.push([TIME_COLUMN, mark === null ? null : `dialog-${(mark - 1) % 8}`, mark === null ? '' : String(mark), prev && prev.dialog === dialog ? null : 'start']);
    if (multi) {
      const letter = this.callLetter.get(arrow.callId) ?? '?';
      columns.push([TIME_COLUMN + GUTTER, `call-${(this.model.callIds.indexOf(arrow.callId)) % 8}`, letter, prev && prev.callId === arrow.callId ? null : 'start']);
    }
    for (const [x, cls, text, start] of columns) {
      if (cls === null) continue;
      g.append('rect').attr('class', `gutter ${cls}`).attr('x', x + 3).attr('y', top + 1).attr('width', GUTTER - 6).attr('height', Math.max(1, height - 2));
      if (start && this.k * ROW_GAP >= 14) g.append('text').attr('class', 'gutter-text').attr('x', x + GUTTER / 2).attr('y', 4).attr('text-anchor', 'middle').text(text);
    }
  }

  private renderTimes(rows: { arrow: LadderArrow; index: number }[], screenY: (i: number) => number): void {
    this.layers.times.selectAll<SVGTextElement, { arrow: LadderArrow; index: number }>('text')
      .data(rows, (d) => d.arrow.message)
      .join((enter) => enter.append('text').attr('class', 'row-time').attr('x', TIME_COLUMN - 8).attr('text-anchor', 'end')
        .text((d) => formatRowTime(this.options.time, d.arrow.time, d.arrow.offset, d.arrow.delta)))
      .attr('y', (d) => screenY(d.index) + 4)
      .classed('selected', (d) => d.arrow.message === this.selected);
  }

  private renderBodies(rows: { arrow: LadderArrow; index: number }[], screenY: (i: number) => number): void {
    const span = { left: this.left() - this.tx, right: this.left() + this.geometry.width + 8 - this.tx };
    this.layers.bodies.selectAll<SVGGElement, { arrow: LadderArrow; index: number }>('g.arrow')
      .data(rows, (d) => d.arrow.message)
      .join((enter) => enter.append('g').each((d, i, nodes) => {
        const g = select(nodes[i]) as unknown as G;
        paintArrow(g, d.arrow, this.laneXOf(d.arrow.from), this.laneXOf(d.arrow.to), this.textsOf(d.arrow), span);
        g.on('mouseenter', (event: MouseEvent) => this.onEnter(event, d.arrow))
          .on('mousemove', (event: MouseEvent) => this.placeTip(event))
          .on('mouseleave', () => this.onLeave())
          .on('click', () => this.options.onSelect(d.arrow.message));
      }))
      .attr('transform', (d) => `translate(${this.tx},${screenY(d.index)})`)
      .classed('selected', (d) => d.arrow.message === this.selected)
      .classed('in-tx', (d) => this.hoverTransaction !== null && d.arrow.transaction === this.hoverTransaction)
      .select('rect.band').attr('x', span.left).attr('width', span.right - span.left);
  }

  private renderHeader(): void {
    const header = this.layers.header;
    if (header.select('rect.header-bg').empty()) {
      header.append('rect').attr('class', 'header-bg');
      header.append('text').attr('class', 'time-heading').attr('text-anchor', 'end');
      header.append('text').attr('class', 'gutter-heading').attr('text-anchor', 'middle').text('dlg');
      if (this.model.callIds.length > 1) header.append('text').attr('class', 'gutter-heading call').attr('text-anchor', 'middle').text('call');
      header.append('g').attr('class', 'lane-headers').attr('clip-path', `url(#${this.clipId}-h)`);
      this.svg.select('defs').selectAll(`#${this.clipId}-h`).data([0]).join('clipPath').attr('id', `${this.clipId}-h`)
        .selectAll('rect').data([0]).join('rect');
    }
    this.svg.select(`#${this.clipId}-h rect`).attr('x', this.left()).attr('y', 0).attr('width', Math.max(0, this.width - this.left())).attr('height', HEADER_HEIGHT);
    header.select('rect.header-bg').attr('x', 0).attr('y', 0).attr('width', this.width).attr('height', HEADER_HEIGHT);
    const headings: Record<TimeMode, string> = { absolute: 'time (UTC)', relative: 'since first (s)', delta: 'delta (s)' };
    header.select('text.time-heading').attr('x', TIME_COLUMN - 8).attr('y', HEADER_HEIGHT - 10).text(headings[this.options.time]);
    header.select('text.gutter-heading:not(.call)').attr('x', TIME_COLUMN + GUTTER / 2).attr('y', HEADER_HEIGHT - 10);
    header.select('text.gutter-heading.call').attr('x', TIME_COLUMN + GUTTER * 1.5).attr('y', HEADER_HEIGHT - 22);
    const lanes = header.select<SVGGElement>('g.lane-headers').selectAll<SVGGElement, string>('g.lane-header')
      .data(this.model.lanes, (d) => (d as { id: string }).id)
      .join((enter) => enter.append('g').each((lane, i, nodes) => {
        const g = select(nodes[i]) as unknown as G;
        paintLaneHeader(g, lane, this.laneXOf(lane.id), this.geometry.laneWidth);
        if (this.options.onLaneClick) {
          g.classed('editable', true).attr('tabindex', 0).attr('role', 'button')
            .attr('aria-label', `Rename ${lane.label}`)
            .on('click', () => this.options.onLaneClick?.(lane.id))
            .on('keydown', (event: KeyboardEvent) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                this.options.onLaneClick?.(lane.id);
              }
            });
        }
      }));
    lanes.attr('transform', `translate(${this.tx},0)`);
  }

  private onEnter(event: MouseEvent, arrow: LadderArrow): void {
    this.hoverTransaction = arrow.transaction;
    replaceTip(this.tip, this.options.describe(arrow));
    this.tip.hidden = false;
    this.placeTip(event);
    this.render();
  }

  private onLeave(): void {
    this.hoverTransaction = null;
    this.hideTip();
    this.render();
  }

  private hideTip(): void {
    this.tip.hidden = true;
  }

  /** Next to the pointer, flipped to stay inside the window (the tip is position: fixed). */
  private placeTip(event: MouseEvent): void {
    const tipWidth = this.tip.offsetWidth;
    const tipHeight = this.tip.offsetHeight;
    const x = event.clientX;
    const y = event.clientY;
    const left = x + 16 + tipWidth > window.innerWidth ? Math.max(4, x - 16 - tipWidth) : x + 16;
    const top = y + 16 + tipHeight > window.innerHeight ? Math.max(4, Math.min(y - 16 - tipHeight, window.innerHeight - tipHeight - 4)) : y + 16;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${top}px`;
  }
}

function replaceTip(tip: HTMLElement, content: HTMLElement): void {
  tip.replaceChildren(content);
}

/** A, B, ... Z, AA, AB, ...: the letter naming a Call-ID on a diagram of several calls. */
export function letterOf(index: number): string {
  let n = index;
  let s = '';
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}
