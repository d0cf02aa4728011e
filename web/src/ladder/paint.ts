// Drawing one ladder row and one lane header into SVG. Shared by the live, virtualised view
// and the SVG/PNG export, so both show the same arrows. Every text goes in with d3 .text():
// labels, user agents and SDP come straight from the capture.
import type { Selection } from 'd3';

/** Any group selection: the live view's (bound to rows) and the export's (unbound). */
export type GroupSelection = Selection<SVGGElement, any, any, any>;
import type { LadderArrow, LadderLane } from '../types.js';
import { truncate } from './layout.js';

export const FONT_SANS = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
export const FONT_MONO = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
export const LABEL_FONT = `13px ${FONT_SANS}`;
export const LABEL_FONT_BOLD = `600 13px ${FONT_SANS}`;
export const SMALL_FONT = `11px ${FONT_SANS}`;
export const MONO_FONT = `11.5px ${FONT_MONO}`;
export const HEADER_HEIGHT = 66;

const HEAD = 9;

let measureContext: CanvasRenderingContext2D | null = null;

/** Width of `text` in pixels in the CSS font `font` (a canvas measures without touching the layout). */
export function measureText(text: string, font: string): number {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return text.length * 7;
  measureContext.font = font;
  return measureContext.measureText(text).width;
}

export const measureWith = (font: string) => (text: string) => measureText(text, font);

/** The label as drawn: ⚠ first when an anomaly names the message, the copy number after a retransmission. */
export function arrowText(arrow: LadderArrow): string {
  const warn = arrow.anomalies.length > 0 ? '⚠ ' : '';
  const copy = arrow.copy > 1 ? ` · copy ${arrow.copy}` : '';
  return `${warn}${arrow.label}${copy}`;
}

export interface RowTexts {
  label: string;
  labelFull: string;
  sdp: string | null;
}

/** Label and SDP line cut to the arrow's span (measured once per layout, not per frame). */
export function rowTexts(arrow: LadderArrow, x1: number, x2: number, laneWidth: number): RowTexts {
  const span = x1 === x2 ? laneWidth / 2 - 40 : Math.abs(x2 - x1) - 2 * HEAD - 8;
  const full = arrowText(arrow);
  return {
    label: truncate(full, span, measureWith(LABEL_FONT_BOLD)),
    labelFull: full,
    sdp: arrow.sdp ? truncate(arrow.sdp, span, measureWith(SMALL_FONT)) : null,
  };
}

/**
 * The body of one row at y = 0, lanes at x1 (sender) and x2 (receiver): hit area, shaft,
 * head (filled triangle for a request, open chevron for a response: the class is in the
 * shape as well as the colour), label above, SDP summary below.
 */
export function paintArrow(g: GroupSelection, arrow: LadderArrow, x1: number, x2: number, texts: RowTexts, span: { left: number; right: number }): void {
  g.selectAll('*').remove();
  g.attr('class', `arrow c-${arrow.arrowClass}${arrow.copy > 1 ? ' retrans' : ''}${arrow.anomalies.length ? ' has-anomaly' : ''}`)
    .attr('data-msg', arrow.message)
    .attr('data-from', arrow.from)
    .attr('data-to', arrow.to);
  g.append('rect').attr('class', 'band').attr('x', span.left).attr('y', -20).attr('width', span.right - span.left).attr('height', 36);
  const isRequest = arrow.arrowClass === 'request';
  if (x1 === x2) {
    // A message an endpoint sends to itself: a small loop to the right.
    g.append('path').attr('class', 'shaft').attr('d', `M${x1},-4 h30 v12 h${-30 + HEAD}`);
    g.append('path').attr('class', isRequest ? 'head solid' : 'head open')
      .attr('d', isRequest ? `M${x1},8 l${HEAD},-4.5 v9 z` : `M${x1 + HEAD},3.5 L${x1},8 L${x1 + HEAD},12.5`);
    g.append('text').attr('class', 'label').attr('x', x1 + 36).attr('y', 0).attr('text-anchor', 'start').text(texts.label);
    return;
  }
  const dir = x2 > x1 ? 1 : -1;
  const tip = x2 - dir * 1;
  g.append('line').attr('class', 'shaft').attr('x1', x1).attr('y1', 0).attr('x2', tip - dir * (isRequest ? HEAD : 1)).attr('y2', 0);
  g.append('path').attr('class', isRequest ? 'head solid' : 'head open')
    .attr('d', isRequest
      ? `M${tip},0 L${tip - dir * HEAD},-4.5 L${tip - dir * HEAD},4.5 Z`
      : `M${tip - dir * HEAD},-5 L${tip},0 L${tip - dir * HEAD},5`);
  const mid = (x1 + x2) / 2;
  g.append('text').attr('class', 'label').attr('x', mid).attr('y', -6).attr('text-anchor', 'middle').text(texts.label);
  if (texts.sdp) g.append('text').attr('class', 'sdp').attr('x', mid).attr('y', 14).attr('text-anchor', 'middle').text(texts.sdp);
}

/** A lane's header box: name (alias or address), address when renamed, and the software it runs. */
export function paintLaneHeader(g: GroupSelection, lane: LadderLane, x: number, width: number): void {
  g.selectAll('*').remove();
  const boxWidth = Math.max(60, width - 16);
  const inner = boxWidth - 12;
  g.attr('class', 'lane-header').attr('data-lane', lane.id);
  g.append('rect').attr('x', x - boxWidth / 2).attr('y', 6).attr('width', boxWidth).attr('height', HEADER_HEIGHT - 14).attr('rx', 6);
  const lines: [string, string, string][] = [[lane.label, 'lane-label', LABEL_FONT_BOLD]];
  if (lane.label !== lane.address) lines.push([lane.address, 'lane-address', MONO_FONT]);
  else if (lane.aliases.length > 1) lines.push([`${lane.aliases.length} ports`, 'lane-address', MONO_FONT]);
  lines.push([lane.userAgent ?? 'no User-Agent / Server', lane.userAgent ? 'lane-ua' : 'lane-ua none', SMALL_FONT]);
  // Two or three lines, centred in the box.
  const first = 6 + (HEADER_HEIGHT - 14) / 2 - ((lines.length - 1) * 15) / 2 + 4;
  lines.forEach(([text, cls, font], i) => {
    g.append('text').attr('class', cls).attr('x', x).attr('y', first + i * 15).attr('text-anchor', 'middle')
      .text(truncate(text, inner, measureWith(font)));
  });
  const full = [lane.label, lane.address, ...lane.aliases.filter((a) => a !== lane.address), lane.userAgent ?? ''].filter(Boolean);
  g.append('title').text([...new Set(full)].join('\n'));
}
