// SIP messages: the hot-path scanner (scanSip) that every captured message goes through, and
// the on-demand readers for the full message, URIs, name-addr and Via values, multipart bodies
// and SDP.
export { ScannedHead, scanSip, scanSipInto } from './scan.js';
export { parseSipMessage, getHeaderValues, type ParsedSipMessage } from './parse.js';
export { COMPACT_HEADER_NAMES, type SipHeader } from './headers.js';
export { type BodyPart } from './multipart.js';
export { parseNameAddr, parseUri, parseVia, type NameAddr, type SipUri, type Via } from './uri.js';
export {
  parseSdp, summarizeSdp, isHoldSdp,
  type Sdp, type SdpAttribute, type SdpConnection, type SdpDirection, type SdpMediaDescription, type SdpOrigin,
} from './sdp.js';
