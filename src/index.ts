// The library's public face: bytes in, facts out. No HTTP, no DOM.
import type { Readable } from 'node:stream';
import { decodeCapture, type DecodeResult } from './pipeline.js';
import { AnalysisCollector, StreamingAnalyzer, type AnalysisSink, type AnalyzerOptions, type MessageLink } from './analysis/index.js';
import type { Anomaly, SipMessage, StreamedAnalysis } from './model.js';
import { MessageDigests } from './views/message-digests.js';
import { renderTextReport, ReportCollector } from './views/text-report.js';

export type * from './model.js';
export { decodeCapture } from './pipeline.js';
export { Analyzer, analyzeMessages, AnalysisCollector, CallEndScanner, StreamingAnalyzer } from './analysis/index.js';
export type { AnalysisEnd, AnalysisSink, CallEnds, CallResult, MessageLink } from './analysis/index.js';
export { CaptureFormatError, readCapture, sniffCaptureFormat } from './capture/index.js';

export interface CaptureAnalysis {
  /** What was decoded (each message went to AnalyzeOptions.message; none is kept). */
  decode: DecodeResult;
  /** Everything but the messages' links (which went to AnalyzeOptions.message with each message). */
  analysis: StreamedAnalysis;
}

export interface AnalyzeOptions extends AnalyzerOptions {
  progress?(bytesRead: number, messages: number): void;
  /**
   * Each message in capture order, with its place in the analysis (final once the message is
   * added). Neither is kept afterwards: memory grows with the calls, not with the messages.
   */
  message?(message: SipMessage, link: MessageLink): void;
  /** A promise to wait for before reading more of the capture (when `message` cannot keep up), or null. */
  beforeRead?(): Promise<void> | null;
}

/** Decodes a capture and analyses it in one pass into an AnalysisCollector, whose Analysis it returns. */
export async function analyzeCapture(source: string | Readable, options: AnalyzeOptions = {}): Promise<CaptureAnalysis> {
  const collector = new AnalysisCollector();
  const decode = await analyzeCaptureInto(source, collector, options);
  const { messageLinks: _, ...analysis } = collector.analysis();
  return { decode, analysis };
}

/** Decodes a capture and analyses it in one pass; the settled calls, anomalies and the end go to `sink`. */
export async function analyzeCaptureInto(source: string | Readable, sink: AnalysisSink, options: AnalyzeOptions = {}): Promise<DecodeResult> {
  const analyzer = new StreamingAnalyzer(sink, options);
  const onMessage = options.message;
  const result = await decodeCapture(source, {
    message: onMessage === undefined ? (m) => analyzer.addMessage(m) : (m) => onMessage(m, analyzer.add(m)),
    progress: options.progress,
    beforeRead: options.beforeRead,
  });
  analyzer.finish(result.lastTime);
  return result;
}

/**
 * Decodes and analyses a capture for the text report (`sipladder analyze`), and makes the report:
 * only a digest of each message and what the report shows of the analysis are kept. `name` is the
 * file name the report gives; `options.message` still gets each message.
 */
export async function textReportOf(source: string | Readable, name: string, options: AnalyzeOptions = {}): Promise<{ decode: DecodeResult; text: string; anomalies: Anomaly[] }> {
  const digests = new MessageDigests();
  const collector = new ReportCollector();
  const onMessage = options.message;
  const decode = await analyzeCaptureInto(source, collector, {
    ...options,
    message: onMessage === undefined ? (m) => digests.add(m) : (m, link) => {
      digests.add(m);
      onMessage(m, link);
    },
  });
  const analysis = collector.report();
  const { info } = decode;
  const text = renderTextReport({
    file: { name, format: info.format, linkTypes: info.linkTypes, packets: info.packets, bytes: info.bytes },
    warnings: decode.warnings,
    messages: digests,
    analysis,
  });
  return { decode, text, anomalies: analysis.anomalies };
}
