// The capture stage: pcap / pcapng (optionally gzip-compressed) in, RawPackets out.
export type { CaptureHandlers } from './record-reader.js';
export { CaptureParser } from './parser.js';
export { readCapture } from './read.js';
export { CaptureFormatError, describeNonCapture, sniffCaptureFormat } from './sniff.js';
