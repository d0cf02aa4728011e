// The CLI's analysis of a capture, run in-process: what the server must serve back.
import { decodeCapture } from '../../../src/pipeline.js';
import { Analyzer } from '../../../src/analysis/index.js';
import type { Analysis, SipMessage } from '../../../src/model.js';

export type ReferenceMessage = SipMessage & { transaction: number | null; dialog: number | null; retransmissionOf: number | null };

export interface Reference {
  messages: ReferenceMessage[];
  raws: Buffer[];
  analysis: Analysis;
}

/** JSON round trip: the form a value has after crossing the API (undefined fields gone). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export async function referenceAnalysis(path: string): Promise<Reference> {
  const analyzer = new Analyzer();
  const messages: SipMessage[] = [];
  const raws: Buffer[] = [];
  const decoded = await decodeCapture(path, {
    message(m, raw) {
      analyzer.add(m);
      messages.push(m);
      raws.push(Buffer.from(raw));
    },
  });
  const analysis = analyzer.finish(decoded.lastTime);
  return {
    messages: plain(messages.map((m) => ({ ...m, ...analysis.messageLinks[m.id]! }))),
    raws,
    analysis: plain(analysis),
  };
}
