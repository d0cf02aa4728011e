// Captured bytes as text without losing a byte: SIP is UTF-8 (RFC 3261 §7.3.1), but a
// capture may hold anything, so bytes that are not valid UTF-8 are read as latin1, where
// every byte is one character and the original bytes come back with Buffer.from(text, 'latin1').
import { isUtf8 } from 'node:buffer';

export interface RawText {
  text: string;
  encoding: 'utf8' | 'latin1';
}

export function decodeRaw(raw: Buffer): RawText {
  return isUtf8(raw) ? { text: raw.toString('utf8'), encoding: 'utf8' } : { text: raw.toString('latin1'), encoding: 'latin1' };
}
