// The whole diagram as a standalone SVG document (every row, lane headers with addresses,
// light colours written into the file so it looks the same in any viewer), and as PNG by
// drawing that SVG on a canvas.
import { create, select } from 'd3';
import type { LadderModel } from '../types.js';
import { formatRowTime, type TimeMode } from '../format.js';
import { layoutLadder, ROW_GAP, type Axis } from './layout.js';
import { FONT_MONO, FONT_SANS, HEADER_HEIGHT, paintArrow, paintLaneHeader, rowTexts } from './paint.js';
import { TIME_COLUMN } from './view.js';

/** The light theme's colours, inlined: an exported file carries no page stylesheet. */
const EXPORT_STYLE = `
svg { font-family: ${FONT_SANS}; font-size: 13px; }
.bg { fill: #ffffff; }
.lane-line { stroke: #9aa5b1; stroke-width: 1; stroke-dasharray: 3 3; }
.lane-header rect { fill: #f3f5f8; stroke: #9aa5b1; }
.lane-label { font-weight: 600; fill: #15202b; font-size: 13px; }
.lane-address { font-family: ${FONT_MONO}; font-size: 11.5px; fill: #3c4a57; }
.lane-ua { font-size: 11px; fill: #5b6875; }
.lane-ua.none { font-style: italic; }
.row-time { font-family: ${FONT_MONO}; font-size: 11.5px; fill: #3c4a57; }
.band { fill: none; }
.label { font-weight: 600; font-size: 13px; }
.sdp { font-size: 11px; fill: #5b6875; }
.shaft { stroke-width: 1.6; fill: none; }
.head.open { fill: none; stroke-width: 1.6; }
.retrans .shaft { stroke-dasharray: 6 4; }
.retrans .shaft, .retrans .head { opacity: 0.6; }
.retrans .label { font-weight: 400; }
.c-request .shaft, .c-request .head { stroke: #1f5fbf; } .c-request .head.solid, .c-request .label { fill: #1f5fbf; }
.c-1xx .shaft, .c-1xx .head { stroke: #56616c; } .c-1xx .label { fill: #56616c; }
.c-2xx .shaft, .c-2xx .head { stroke: #1a7f37; } .c-2xx .label { fill: #1a7f37; }
.c-3xx .shaft, .c-3xx .head { stroke: #8250df; } .c-3xx .label { fill: #8250df; }
.c-4xx .shaft, .c-4xx .head, .c-5xx .shaft, .c-5xx .head, .c-6xx .shaft, .c-6xx .head { stroke: #c62828; }
.c-4xx .label, .c-5xx .label, .c-6xx .label { fill: #c62828; }
.c-malformed .shaft, .c-malformed .head { stroke: #b3007a; } .c-malformed .label { fill: #b3007a; }
`;

export interface ExportOptions {
  time: TimeMode;
  axis: Axis;
}

/** The diagram as SVG markup, all rows drawn. */
export function ladderSvg(model: LadderModel, options: ExportOptions): { markup: string; width: number; height: number } {
  const left = TIME_COLUMN + 10;
  const geometry = layoutLadder(model, options.axis, left, 180 * Math.max(1, model.lanes.length));
  const width = left + geometry.width + 16;
  const top = HEADER_HEIGHT + ROW_GAP / 2;
  const height = top + geometry.height + 10;
  const svg = create('svg').attr('xmlns', 'http://www.w3.org/2000/svg').attr('width', width).attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`);
  svg.append('style').text(EXPORT_STYLE);
  svg.append('rect').attr('class', 'bg').attr('width', width).attr('height', height);
  const laneIndex = new Map(model.lanes.map((lane, i) => [lane.id, i]));
  const xOf = (id: string) => geometry.laneX[laneIndex.get(id) ?? 0];
  for (const lane of model.lanes) {
    svg.append('line').attr('class', 'lane-line').attr('x1', xOf(lane.id)).attr('x2', xOf(lane.id)).attr('y1', HEADER_HEIGHT).attr('y2', height - 6);
    paintLaneHeader(svg.append('g'), lane, xOf(lane.id), geometry.laneWidth);
  }
  const headings: Record<TimeMode, string> = { absolute: 'time (UTC)', relative: 'since first (s)', delta: 'delta (s)' };
  svg.append('text').attr('class', 'row-time').attr('x', TIME_COLUMN - 8).attr('y', HEADER_HEIGHT - 10).attr('text-anchor', 'end').text(headings[options.time]);
  const span = { left, right: left + geometry.width };
  model.arrows.forEach((arrow, i) => {
    const y = top + geometry.rowY[i];
    svg.append('text').attr('class', 'row-time').attr('x', TIME_COLUMN - 8).attr('y', y + 4).attr('text-anchor', 'end')
      .text(formatRowTime(options.time, arrow.time, arrow.offset, arrow.delta));
    const g = svg.append('g').attr('transform', `translate(0,${y})`);
    paintArrow(g, arrow, xOf(arrow.from), xOf(arrow.to), rowTexts(arrow, xOf(arrow.from), xOf(arrow.to), geometry.laneWidth), span);
  });
  const node = svg.node()!;
  select(node).selectAll('title').remove();
  return { markup: new XMLSerializer().serializeToString(node), width, height };
}

/** Largest canvas side browsers reliably allocate. */
const MAX_CANVAS = 16_000;

/** The SVG drawn on a canvas at twice the resolution (less when the diagram is very tall). */
export async function ladderPng(model: LadderModel, options: ExportOptions): Promise<Blob> {
  const { markup, width, height } = ladderSvg(model, options);
  const scale = Math.max(0.1, Math.min(2, MAX_CANVAS / height, MAX_CANVAS / width));
  const image = new Image();
  const loaded = new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error('the browser could not draw the diagram as an image'));
  });
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
  await loaded;
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no canvas available for the PNG export');
  context.scale(scale, scale);
  context.drawImage(image, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
