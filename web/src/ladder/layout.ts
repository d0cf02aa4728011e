// Geometry of the ladder, free of the DOM so it can be tested on its own: where lanes and
// rows go, which rows are in view (only those are drawn), and how labels are cut to fit.
import type { LadderModel } from '../types.js';

export type Axis = 'sequence' | 'time';

/** Vertical distance between rows in sequence mode, and the least distance in time mode (room for label and SDP line). */
export const ROW_GAP = 44;
export const MIN_TIME_GAP = 38;
/** Pixels per second in time mode at zoom 1. */
export const PX_PER_SECOND = 60;
export const LANE_MIN = 190;
export const LANE_MAX = 560;

export interface LadderGeometry {
  /** x of each lane's line (before horizontal panning), in lane order. */
  laneX: number[];
  laneWidth: number;
  /** y of each arrow (zoom 1, before panning), in arrow order; increasing. */
  rowY: number[];
  /** Height of the drawing at zoom 1. */
  height: number;
  /** Width of the whole lane area (for horizontal panning). */
  width: number;
}

/**
 * Lanes share the width left of the time column between LANE_MIN and LANE_MAX each; rows
 * are evenly spaced (sequence) or placed by time, never closer than MIN_TIME_GAP so labels
 * cannot overlap.
 */
export function layoutLadder(model: LadderModel, axis: Axis, left: number, availableWidth: number): LadderGeometry {
  const lanes = Math.max(1, model.lanes.length);
  const laneWidth = Math.min(LANE_MAX, Math.max(LANE_MIN, Math.floor(availableWidth / lanes)));
  const laneX = model.lanes.map((_, i) => left + laneWidth * (i + 0.5));
  const rowY: number[] = [];
  let y = 0;
  model.arrows.forEach((arrow, i) => {
    if (i === 0) y = 0;
    else if (axis === 'sequence') y += ROW_GAP;
    else y = Math.max(y + MIN_TIME_GAP, arrow.offset * PX_PER_SECOND);
    rowY.push(y);
  });
  return { laneX, laneWidth, rowY, height: y + ROW_GAP, width: laneWidth * lanes };
}

/** Index of the first row with rowY*k + ty >= top (binary search; rows are sorted). */
export function firstRowAtOrBelow(rowY: readonly number[], screenTop: number, k: number, ty: number): number {
  let lo = 0;
  let hi = rowY.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rowY[mid] * k + ty < screenTop) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows [start, end) whose y on screen falls between top and bottom (plus a margin so half-visible labels are drawn). */
export function visibleRows(rowY: readonly number[], top: number, bottom: number, k: number, ty: number, margin = ROW_GAP): [number, number] {
  return [firstRowAtOrBelow(rowY, top - margin, k, ty), firstRowAtOrBelow(rowY, bottom + margin, k, ty)];
}

/**
 * `text` cut to at most `maxWidth` pixels with an ellipsis; `measure` gives a string's width.
 * Binary search on the prefix length: labels are measured, not guessed from a character count.
 */
export function truncate(text: string, maxWidth: number, measure: (s: string) => number): string {
  if (measure(text) <= maxWidth) return text;
  if (measure('…') > maxWidth) return '';
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(`${text.slice(0, mid)}…`) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

/** The row a vertical pan should bring to the middle of the view. */
export function panToRow(rowY: readonly number[], index: number, k: number, viewTop: number, viewHeight: number): number {
  return viewTop + viewHeight / 2 - rowY[index] * k;
}

/** Keeps the vertical pan inside the drawing: the first row can go no lower than the top, the last no higher than the bottom. */
export function clampPan(ty: number, k: number, height: number, viewTop: number, viewHeight: number): number {
  const max = viewTop + ROW_GAP / 2;
  const min = Math.min(max, viewTop + viewHeight - height * k);
  return Math.min(max, Math.max(min, ty));
}
