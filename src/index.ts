// The library's public face: bytes in, facts out. No HTTP, no DOM.
import type { Readable } from 'node:stream';
import { decodeCapture, type DecodeResult } from './pipeline.js';
import { Analyzer, type AnalyzerOptions } from './analysis/index.js';
import type { Analysis, SipMessage } from './model.js';

export type * from './model.js';
export { decodeCapture } from './pipeline.js';
export { Analyzer, analyzeMessages, AnalysisCollector, CallEndScanner, StreamingAnalyzer } from './analysis/index.js';
export type { AnalysisEnd, AnalysisSink, CallEnds, CallResult, MessageLink } from './analysis/index.js';
export { CaptureFormatError, readCapture, sniffCaptureFormat } from './capture/index.js';

export interface CaptureAnalysis {
  decode: DecodeResult;
  /** Every decoded message, in capture order (without raw bytes). */
  messages: SipMessage[];
  analysis: Analysis;
}

export interface AnalyzeOptions extends AnalyzerOptions {
  progress?(bytesRead: number, messages: number): void;
}

/** Decodes a capture and analyses it in one pass. */
export async function analyzeCapture(source: string | Readable, options: AnalyzeOptions = {}): Promise<CaptureAnalysis> {
  const analyzer = new Analyzer(options);
  const messages: SipMessage[] = [];
  const result = await decodeCapture(source, {
    message(m) {
      messages.push(m);
      analyzer.add(m);
    },
    progress: options.progress,
  });
  const analysis = analyzer.finish(result.lastTime);
  return { decode: result, messages, analysis };
}
