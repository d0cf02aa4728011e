// Format detection from the first bytes of a capture, and a readable description of
// whatever else was handed to us (an HTML error page saved as .pcap, a JSON export, a zip...).

export type SniffedFormat = 'pcap' | 'pcap-nsec' | 'pcapng' | 'gzip';

/** pcap magic numbers, as read in the writer's byte order (pcap-savefile(5)). */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** pcapng Section Header Block type: a palindrome, so it reads the same in both byte orders. */
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
/** Bytes a sniffer needs to tell every supported format apart. */
const SNIFF_BYTES = 4;

/**
 * Which capture format `head` starts with, or null. gzip needs 2 bytes, the others 4; a
 * shorter head gives null.
 */
export function sniffCaptureFormat(head: Buffer): SniffedFormat | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length < SNIFF_BYTES) return null;
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  if (le === PCAP_MAGIC_USEC || be === PCAP_MAGIC_USEC) return 'pcap';
  if (le === PCAP_MAGIC_NSEC || be === PCAP_MAGIC_NSEC) return 'pcap-nsec';
  if (le === PCAPNG_SHB_TYPE) return 'pcapng';
  return null;
}

/** Thrown (rejects) only when the input is not a capture at all, and for empty input. */
export class CaptureFormatError extends Error {
  override name = 'CaptureFormatError';
}

/** Bytes of the head worth looking at to guess what a non-capture is. */
export const GUESS_BYTES = 64;

interface Signature {
  bytes: number[];
  name: string;
}

/** Well-known magic numbers of files people upload by mistake. */
const SIGNATURES: Signature[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], name: 'an empty zip archive' },
  { bytes: [0x1f, 0x8b], name: 'gzip data' },
  { bytes: [0x42, 0x5a, 0x68], name: 'bzip2 data' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz data' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd data' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], name: 'a 7-Zip archive' },
  { bytes: [0x52, 0x61, 0x72, 0x21], name: 'a RAR archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46], name: 'PDF' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], name: 'an ELF executable' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
  { bytes: [0xa1, 0xb2, 0xcd, 0x34], name: 'a modified (Kuznetsov) pcap, which is not supported' },
  { bytes: [0x34, 0xcd, 0xb2, 0xa1], name: 'a modified (Kuznetsov) pcap, which is not supported' },
  { bytes: [0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00], name: 'a Sun snoop capture, which is not supported' },
  { bytes: [0x47, 0x4d, 0x42, 0x55], name: 'a Microsoft Network Monitor capture, which is not supported' },
];

function startsWith(head: Buffer, bytes: number[]): boolean {
  if (head.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[i] !== bytes[i]) return false;
  return true;
}

/** True when every byte is printable ASCII, whitespace or part of UTF-8 text. */
function looksLikeText(head: Buffer): boolean {
  for (const b of head) {
    const control = b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d;
    if (control || b === 0x7f) return false;
  }
  return true;
}

/** A guess at what `head` is: "HTML", "JSON", "a zip archive", "text", ... */
function guessContent(head: Buffer): string {
  for (const s of SIGNATURES) if (startsWith(head, s.bytes)) return s.name;
  if (!looksLikeText(head)) return 'unknown binary data';
  const text = head.toString('latin1').replace(/^\xef\xbb\xbf/, '').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<head') || text.startsWith('<body')) return 'HTML';
  if (text.startsWith('<?xml') || text.startsWith('<')) return 'XML or HTML';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON';
  return 'text';
}

/** The first bytes in hex, the way the error message shows them: "3c 21 44 4f". */
function hexHead(head: Buffer): string {
  return [...head.subarray(0, SNIFF_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** The message of the CaptureFormatError for input that starts with `head` (empty for empty input). */
export function describeNonCapture(head: Buffer): string {
  if (head.length === 0) return 'not a capture file: the input is empty';
  if (head.length < SNIFF_BYTES) {
    return `not a capture file: only ${head.length} byte${head.length === 1 ? '' : 's'} (${hexHead(head)})`;
  }
  return `not a capture file: starts with ${hexHead(head)} (looks like ${guessContent(head)})`;
}
