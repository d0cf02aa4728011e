// The typed interfaces between the pipeline's stages. Data flows one way:
//   capture (RawPacket) -> net (IpPacket) -> transport (SipPayload) -> sip (SipHead)
//   -> pipeline (SipMessage) -> analysis (Analysis) -> views (LadderModel, reports).
// Each stage owns its implementation; this file only says what crosses a boundary.

/** A capture timestamp without floating point loss: whole seconds plus nanoseconds. */
export interface Timestamp {
  sec: number;
  nsec: number;
  /** Decimal digits the capture really holds (6 for microsecond pcap, 9 for nanosecond). */
  digits: number;
}

/** A problem found while decoding; never fatal. `offset` is the byte offset in the (decompressed) capture. */
export interface DecodeWarning {
  offset: number | null;
  packet: number | null;
  message: string;
}

// ---------------------------------------------------------------- capture/

/**
 * One captured packet. `data` is a view into the reader's current chunk: valid only
 * during the callback that receives it (copy what must outlive it).
 */
export interface RawPacket {
  /** 1-based, counted as Wireshark counts frames. */
  frame: number;
  ts: Timestamp;
  linkType: number;
  data: Buffer;
  /** Length on the wire; > data.length when the snap length cut the packet. */
  origLength: number;
  truncated: boolean;
  /** Byte offset of the packet record in the (decompressed) capture stream. */
  fileOffset: number;
  interfaceIndex: number;
  comment?: string;
}

export type CaptureFormat = 'pcap' | 'pcap-nsec' | 'pcapng';

export interface CaptureInfo {
  format: CaptureFormat;
  compression: 'gzip' | null;
  linkTypes: number[];
  packets: number;
  /** Bytes of capture data read (after decompression). */
  bytes: number;
  comments: string[];
}

// ---------------------------------------------------------------- net/

export type IpVersion = 4 | 6;

/** An IP datagram after link decoding, tunnel removal and fragment reassembly (innermost header). */
export interface IpPacket {
  version: IpVersion;
  /** Textual address: dotted quad, or RFC 5952 compressed IPv6 without brackets. */
  src: string;
  dst: string;
  /** Next protocol after extension headers (6 TCP, 17 UDP, 132 SCTP, ...). */
  protocol: number;
  payload: Buffer;
  /** Frames the datagram came from (several when reassembled from fragments), last one completes it. */
  frames: number[];
}

// ---------------------------------------------------------------- transport/

export type SipTransport = 'UDP' | 'TCP' | 'SCTP' | 'TLS' | 'WS' | 'WSS';

/** The bytes of exactly one SIP message, as framed by its transport. */
export interface SipPayload {
  /** Frame in which the message completes. */
  frame: number;
  ts: Timestamp;
  ipVersion: IpVersion;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  transport: SipTransport;
  bytes: Buffer;
  /** All frames the message came from, in order (one for most messages). */
  frames: number[];
  /** Position of the message within its completing frame (0, 1, ... when a segment holds several). */
  indexInFrame: number;
}

// ---------------------------------------------------------------- sip/

export interface SdpMedia {
  media: string; // audio, video, application, ...
  port: number;
  proto: string;
  formats: string[];
  /** rtpmap names, e.g. ["PCMU/8000", "telephone-event/8000"]. */
  codecs: string[];
  /** Connection address for this stream (media-level c= or the session's). */
  address: string | null;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export interface SdpSummary {
  origin: string | null;
  address: string | null;
  media: SdpMedia[];
}

/**
 * What the hot-path scanner extracts from one SIP message: the fields analysis needs,
 * nothing built for the rest (a full parse is on demand, from the raw bytes). The strings are
 * cut from the message's decoded text and keep all of it alive: what is kept beyond the
 * message is copied first (detached() in analysis/message-log.ts).
 */
export interface SipHead {
  isRequest: boolean;
  method: string | null;
  requestUri: string | null;
  status: number | null;
  reason: string | null;
  callId: string | null;
  /** CSeq as "<seq> <METHOD>" with single spacing. */
  cseq: string | null;
  cseqSeq: number | null;
  cseqMethod: string | null;
  branch: string | null;
  sentBy: string | null;
  viaCount: number;
  fromUri: string | null;
  fromTag: string | null;
  fromDisplay: string | null;
  toUri: string | null;
  toTag: string | null;
  toDisplay: string | null;
  contactUri: string | null;
  /** expires parameter of the first Contact, if any. */
  contactExpires: number | null;
  contentType: string | null;
  contentLength: number | null;
  bodyLength: number;
  expires: number | null;
  minExpires: number | null;
  retryAfter: number | null;
  rseq: number | null;
  /** RAck as written: "<rseq> <cseq> <method>". */
  rack: string | null;
  sessionExpires: number | null;
  subscriptionState: string | null;
  event: string | null;
  /** Authorization or Proxy-Authorization present. */
  hasCredentials: boolean;
  /** realm and nonce of a challenge (WWW-/Proxy-Authenticate) or of the credentials. */
  authRealm: string | null;
  authNonce: string | null;
  /** User-Agent for requests, Server for responses (either, whichever is present). */
  userAgent: string | null;
  /** Leg-correlation headers used by B2BUAs and IMS. */
  xCallId: string | null;
  icid: string | null;
  sdp: SdpSummary | null;
  /** Why the message is not valid SIP (it is kept all the same), or null. */
  malformed: string | null;
}

// ---------------------------------------------------------------- pipeline

/** One decoded SIP message: where and when it was seen, plus its scanned head. */
export interface SipMessage extends SipHead {
  /** 0-based index in capture order; the message's id everywhere. */
  id: number;
  frame: number;
  frames: number[];
  indexInFrame: number;
  ts: Timestamp;
  /** Epoch seconds as a decimal string with the capture's precision. */
  time: string;
  ipVersion: IpVersion;
  /** "ip:port", IPv6 as "[addr]:port". */
  src: string;
  dst: string;
  transport: SipTransport;
  /** Size of the message in bytes. */
  size: number;
}

// ---------------------------------------------------------------- analysis/

export type Severity = 'info' | 'warning' | 'error';

export type TransactionState = 'completed' | 'terminated' | 'timed-out' | 'pending';

export interface Transaction {
  id: number;
  callId: string;
  method: string;
  cseq: string;
  branch: string | null;
  sentBy: string | null;
  inDialog: boolean;
  /** The request and its retransmissions (message ids). */
  requests: number[];
  /** Every response, retransmissions included. */
  responses: number[];
  /** ACK for a non-2xx (inside the transaction) or for a 2xx (end-to-end, listed here). */
  ack: number[];
  ackFor: '2xx' | 'non-2xx' | null;
  finalStatus: number | null;
  finalResponse: number | null;
  startTime: string;
  finalTime: string | null;
  state: TransactionState;
  retransmissions: number;
  /** Seconds between successive copies of the request, as seen on the wire. */
  retransmitIntervals: number[];
  dialog: number | null;
}

export interface Dialog {
  id: number;
  callId: string;
  fromTag: string;
  toTag: string;
  method: string;
  state: 'early' | 'confirmed';
  /** The final state at capture end, including terminated. */
  endState: 'early' | 'confirmed' | 'terminated';
  createdBy: number;
  confirmedBy: number | null;
  /** The BYE that ended the dialog, or null. */
  terminatedBy: number | null;
}

export type CallKind = 'call' | 'registration' | 'subscription' | 'message' | 'options' | 'publish' | 'other' | 'mid-dialog';

export type CallOutcome =
  | 'completed' | 'answered' | 'cancelled' | 'busy' | 'rejected' | 'failed' | 'redirected'
  | 'no-final-response' | 'pending' | 'success';

export interface CallParty {
  uri: string | null;
  user: string | null;
  display: string | null;
}

export interface CallLegLink {
  callId: string;
  /** How the legs were linked: header name, icid, prefix, or 'guess' (numbers and media in a time window). */
  reason: string;
  guess: boolean;
}

export interface Call {
  callId: string;
  kind: CallKind;
  firstRequest: string;
  caller: CallParty;
  callee: CallParty;
  outcome: CallOutcome | null;
  finalStatus: number | null;
  finalReason: string | null;
  endedBy: 'caller' | 'callee' | null;
  startTime: string;
  answerTime: string | null;
  endTime: string | null;
  lastTime: string;
  /** Seconds from INVITE to first 180/183. */
  postDialDelay: number | null;
  /** Seconds from INVITE to 2xx. */
  setupTime: number | null;
  /** Seconds from 2xx to BYE (or to the last message when no BYE). */
  duration: number | null;
  messages: number[];
  transactions: number[];
  dialogs: number[];
  endpoints: string[];
  media: SdpMedia[];
  onHold: boolean;
  anomalies: number[];
  legs: CallLegLink[];
}

export interface RegistrationAttempt {
  cseq: string;
  request: number;
  final: number | null;
  finalStatus: number | null;
  expiresRequested: number | null;
  expiresGranted: number | null;
  challenged: boolean;
  realm: string | null;
  nonce: string | null;
  hadCredentials: boolean;
  explanation: string | null;
}

export type RegistrationOutcome = 'registered' | 'unregistered' | 'failed' | 'no-final-response' | 'pending';

export interface Registration {
  callId: string;
  aor: string | null;
  contact: string | null;
  attempts: RegistrationAttempt[];
  challenges: number;
  outcome: RegistrationOutcome;
  finalStatus: number | null;
  expires: number | null;
  explanation: string | null;
}

export interface Anomaly {
  id: number;
  kind: string;
  severity: Severity;
  callId: string | null;
  messages: number[];
  title: string;
  explanation: string;
  reference: string;
}

export interface SipStats {
  requests: Record<string, number>;
  responses: Record<string, number>;
  retransmissions: number;
  outcomes: Record<string, number>;
  /** Answer-seizure ratio: answered INVITE calls / all INVITE calls with an outcome. */
  asr: number | null;
}

export interface Analysis {
  transactions: Transaction[];
  dialogs: Dialog[];
  calls: Call[];
  registrations: Registration[];
  anomalies: Anomaly[];
  stats: SipStats;
  /** Per message id: its transaction, its dialog and the first copy when it is a retransmission. */
  messageLinks: { transaction: number | null; dialog: number | null; retransmissionOf: number | null }[];
}

/** The Analysis of a capture whose messages went on one by one, each with its links, as they were decoded: the rest of it. */
export type StreamedAnalysis = Omit<Analysis, 'messageLinks'>;

// ---------------------------------------------------------------- views/

export interface LadderLane {
  id: string;
  /** "ip:port" or, when merged, the host. */
  address: string;
  label: string;
  userAgent: string | null;
  aliases: string[];
}

export type ArrowClass = 'request' | '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | '6xx' | 'malformed';

export interface LadderArrow {
  message: number;
  from: string;
  to: string;
  time: string;
  /** Seconds since the first message of the diagram, and since the previous arrow. */
  offset: number;
  delta: number;
  label: string;
  arrowClass: ArrowClass;
  callId: string;
  transaction: number | null;
  dialog: number | null;
  retransmissionOf: number | null;
  /** 1 for an original, n for the n-th copy. */
  copy: number;
  anomalies: number[];
  sdp: string | null;
}

export interface LadderModel {
  callIds: string[];
  lanes: LadderLane[];
  arrows: LadderArrow[];
  anomalies: Anomaly[];
}
