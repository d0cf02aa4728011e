// The knowledge base: what every SIP method and response code means, where it is defined and
// what an analyzer should look at, in the product's own words (the facts are those of
// ../shared/sip-reference.md). One definition read by the CLI, the API and the pages alike.

export interface MethodInfo {
  method: string;
  /** Where the method is defined, e.g. "RFC 3261 §13". */
  reference: string;
  meaning: string;
  /** What to look at when this method shows up in a capture, or null. */
  analysis: string | null;
}

export type ResponseClass = 1 | 2 | 3 | 4 | 5 | 6;

export interface ResponseInfo {
  code: number;
  reason: string;
  responseClass: ResponseClass;
  className: string;
  meaning: string;
  reference: string;
  analysis: string | null;
}

export interface ResponseClassInfo {
  responseClass: ResponseClass;
  /** "1xx" ... "6xx" */
  range: string;
  name: string;
  meaning: string;
  reference: string;
}

export const RESPONSE_CLASSES: readonly ResponseClassInfo[] = [
  { responseClass: 1, range: '1xx', name: 'provisional', reference: 'RFC 3261 §21.1', meaning: 'The request arrived and is still being worked on. A provisional response never ends a transaction; any of them stops the retransmission of an INVITE over UDP.' },
  { responseClass: 2, range: '2xx', name: 'success', reference: 'RFC 3261 §21.2', meaning: 'The request worked.' },
  { responseClass: 3, range: '3xx', name: 'redirection', reference: 'RFC 3261 §21.3', meaning: 'The request should be tried somewhere else; the Contact header says where.' },
  { responseClass: 4, range: '4xx', name: 'client error', reference: 'RFC 3261 §21.4', meaning: 'The request is faulty or cannot be served by this server; sending it again unchanged will not help.' },
  { responseClass: 5, range: '5xx', name: 'server error', reference: 'RFC 3261 §21.5', meaning: 'The server failed on a request that looks valid; Retry-After may say when to try again.' },
  { responseClass: 6, range: '6xx', name: 'global failure', reference: 'RFC 3261 §21.6', meaning: 'No server anywhere can serve this request; trying other destinations is pointless.' },
];

const METHODS: readonly MethodInfo[] = [
  {
    method: 'REGISTER', reference: 'RFC 3261 §10',
    meaning: 'Tells a registrar at which contact addresses a user (an address-of-record) can be reached.',
    analysis: 'A first 401 (registrar) or 407 (proxy) challenge is normal. Compare the Expires asked for with the one granted in the 200; 423 means the interval was too short and the retry needs at least Min-Expires. Bindings must be refreshed before they expire; Expires 0 removes one.',
  },
  {
    method: 'INVITE', reference: 'RFC 3261 §13',
    meaning: 'Invites a user or service into a session (a call); the body usually holds the SDP offer.',
    analysis: 'A three-way handshake: the final response is confirmed by an ACK. The ACK for a 2xx is end-to-end and outside the INVITE transaction (§13.2.2.4); the ACK for a failure is hop-by-hop, part of the transaction, with the same branch. An INVITE inside an existing dialog (re-INVITE) changes the session, e.g. to put it on hold.',
  },
  {
    method: 'ACK', reference: 'RFC 3261 §13.2.2.4, §17.1.1.3',
    meaning: 'Confirms that the caller got the final response to its INVITE.',
    analysis: 'Never answered. When the ACK for a 2xx is missing, the callee keeps resending the 2xx (intervals doubling from T1 up to T2) for 64*T1, then usually ends the call with BYE.',
  },
  {
    method: 'CANCEL', reference: 'RFC 3261 §9',
    meaning: 'Withdraws a request that has not been answered yet, in practice a ringing INVITE.',
    analysis: 'Carries the branch of the request it cancels and gets its own 200; the cancelled INVITE then ends with 487, which is ACKed. A CANCEL that crosses the 2xx has no effect: the call is up and must be ended with BYE.',
  },
  {
    method: 'BYE', reference: 'RFC 3261 §15',
    meaning: 'Ends a dialog (hangs up the call).',
    analysis: 'Either side may send it. A 481 answer means the other side did not know the dialog any more.',
  },
  {
    method: 'OPTIONS', reference: 'RFC 3261 §11',
    meaning: 'Asks a server what it supports; widely used as a keep-alive ping.',
    analysis: 'The answer lists capabilities in Allow, Accept and Supported. Unanswered pings mean the peer is unreachable.',
  },
  {
    method: 'INFO', reference: 'RFC 6086 (formerly RFC 2976)',
    meaning: 'Carries application data inside an established session, e.g. DTMF digits.',
    analysis: 'RFC 6086 expects an Info-Package header naming what the body is.',
  },
  {
    method: 'MESSAGE', reference: 'RFC 3428',
    meaning: 'Sends a single instant message, like an SMS.',
    analysis: 'Creates no dialog: every MESSAGE is a transaction of its own. 202 means stored for later delivery.',
  },
  {
    method: 'SUBSCRIBE', reference: 'RFC 6665',
    meaning: 'Asks to be notified about an event package (presence, dialog state, message waiting...).',
    analysis: 'Creates a subscription dialog that lives for Expires seconds; Expires 0 ends it. 489 Bad Event means the package is unknown there.',
  },
  {
    method: 'NOTIFY', reference: 'RFC 6665',
    meaning: 'Tells a subscriber the current state of the event it subscribed to.',
    analysis: 'The Subscription-State header says whether the subscription is pending, active or terminated; terminated ends it.',
  },
  {
    method: 'UPDATE', reference: 'RFC 3311',
    meaning: 'Changes the session (media, codecs) before or after the call is answered, without touching the dialog state.',
    analysis: 'If both sides send an offer at once, one of them gets 491 and retries later.',
  },
  {
    method: 'PRACK', reference: 'RFC 3262',
    meaning: 'Acknowledges a provisional response that was sent reliably (100rel).',
    analysis: 'Its RAck header names the RSeq and CSeq it acknowledges. A reliable provisional response without PRACK is resent until the PRACK arrives.',
  },
  {
    method: 'PUBLISH', reference: 'RFC 3903',
    meaning: 'Uploads event state (such as presence) to the server that composes it.',
    analysis: 'Refreshes and changes point at the published state with SIP-If-Match, using the SIP-ETag the server returned; 412 means that state is gone.',
  },
  {
    method: 'REFER', reference: 'RFC 3515',
    meaning: 'Asks the recipient to contact a third party, as in a call transfer.',
    analysis: 'Creates an implicit subscription: the progress of the referred request comes back in NOTIFYs with a message/sipfrag body.',
  },
];

interface ResponseEntry {
  code: number;
  reason: string;
  reference: string;
  meaning: string;
  analysis?: string;
}

const RESPONSES: readonly ResponseEntry[] = [
  { code: 100, reason: 'Trying', reference: 'RFC 3261 §21.1.1', meaning: 'The next hop has the request and is working on it, for instance looking the user up.', analysis: 'Stops INVITE retransmissions. It is hop-by-hop: a stateful proxy answers it itself and never forwards it.' },
  { code: 180, reason: 'Ringing', reference: 'RFC 3261 §21.1.2', meaning: "The callee's phone is alerting the user.", analysis: 'Post-dial delay is the time from the INVITE to the first 180 or 183.' },
  { code: 181, reason: 'Call Is Being Forwarded', reference: 'RFC 3261 §21.1.3', meaning: 'A server is sending the call on to another destination.' },
  { code: 182, reason: 'Queued', reference: 'RFC 3261 §21.1.4', meaning: 'The callee cannot take the call yet and it waits in a queue; it may be sent again with the queue status.' },
  { code: 183, reason: 'Session Progress', reference: 'RFC 3261 §21.1.5', meaning: 'Progress information about the call, often with an SDP answer for early media (ring-back tone, announcements).', analysis: 'With a To tag it creates an early dialog; it may be sent reliably (RSeq, acknowledged by PRACK).' },
  { code: 199, reason: 'Early Dialog Terminated', reference: 'RFC 6228', meaning: 'One early dialog was ended before the final response arrived (e.g. a forked branch gave up).' },
  { code: 200, reason: 'OK', reference: 'RFC 3261 §21.2.1', meaning: 'The request worked. For an INVITE the call is answered, the dialog is confirmed and the caller must send ACK.' },
  { code: 202, reason: 'Accepted', reference: 'RFC 3515; RFC 6665 (deprecated for SUBSCRIBE)', meaning: 'Taken in for processing, not yet done; seen for REFER, for MESSAGE stored for later delivery and, in older stacks, for SUBSCRIBE.' },
  { code: 204, reason: 'No Notification', reference: 'RFC 5839', meaning: 'The subscription worked but no NOTIFY will follow, since the state has not changed.' },
  { code: 300, reason: 'Multiple Choices', reference: 'RFC 3261 §21.3.1', meaning: 'The user can be reached at several addresses; the caller may pick one of the Contacts.' },
  { code: 301, reason: 'Moved Permanently', reference: 'RFC 3261 §21.3.2', meaning: 'The user has moved for good: try the Contact address and update any stored address.' },
  { code: 302, reason: 'Moved Temporarily', reference: 'RFC 3261 §21.3.3', meaning: 'For this call, try the Contact address(es) instead.', analysis: 'A new INVITE to the given Contact should follow.' },
  { code: 305, reason: 'Use Proxy', reference: 'RFC 3261 §21.3.4; 3GPP TS 24.229 §5.1.1.2.1', meaning: 'The user can only be reached through the proxy named in Contact; only user agents send this.' },
  { code: 380, reason: 'Alternative Service', reference: 'RFC 3261 §21.3.5', meaning: 'The call failed but the body describes other services to try; IMS emergency calls use it.' },
  { code: 400, reason: 'Bad Request', reference: 'RFC 3261 §21.4.1', meaning: 'The request could not be parsed; the reason phrase should say what was wrong.', analysis: 'Show the reason phrase of the response: it usually names the faulty header.' },
  { code: 401, reason: 'Unauthorized', reference: 'RFC 3261 §21.4.2', meaning: 'The registrar or user agent wants credentials; the WWW-Authenticate header holds the challenge.', analysis: 'The normal first answer to a REGISTER. A second 401 to a request that carried credentials means a wrong password or a stale nonce; a repeating loop is an anomaly.' },
  { code: 402, reason: 'Payment Required', reference: 'RFC 3261 §21.4.3', meaning: 'Reserved for future use; not in practical use.' },
  { code: 403, reason: 'Forbidden', reference: 'RFC 3261 §21.4.4; 3GPP TS 24.229', meaning: 'The server understood the request and refuses it; credentials will not change that.', analysis: 'For a failed registration, explain it: wrong user or realm, a domain not served, and in IMS a P-CSCF identity mismatch or an untrusted domain at the I-CSCF.' },
  { code: 404, reason: 'Not Found', reference: 'RFC 3261 §21.4.5', meaning: 'No such user in this domain, or the domain is not served here.' },
  { code: 405, reason: 'Method Not Allowed', reference: 'RFC 3261 §21.4.6', meaning: 'The method is known but not allowed for this address.', analysis: 'The response must list the allowed methods in an Allow header: check it is there.' },
  { code: 406, reason: 'Not Acceptable', reference: 'RFC 3261 §21.4.7', meaning: 'The only content available is of a kind the Accept header of the request rules out.' },
  { code: 407, reason: 'Proxy Authentication Required', reference: 'RFC 3261 §21.4.8', meaning: 'Like 401, but a proxy wants the credentials; the challenge is in Proxy-Authenticate.' },
  { code: 408, reason: 'Request Timeout', reference: 'RFC 3261 §21.4.9; 3GPP TS 24.229 §5.1.1.2.1', meaning: 'No answer came in time (for instance the user could not be located soon enough); trying later may work.', analysis: 'Also produced locally when Timer B or F expires: then it never appears on the wire.' },
  { code: 410, reason: 'Gone', reference: 'RFC 3261 §21.4.10', meaning: 'The user used to exist here but is no longer reachable, and there is no forwarding address.' },
  { code: 412, reason: 'Conditional Request Failed', reference: 'RFC 3903', meaning: 'The state a PUBLISH refers to (SIP-If-Match) does not exist any more.' },
  { code: 413, reason: 'Request Entity Too Large', reference: 'RFC 3261 §21.4.11', meaning: 'The body is larger than the server will handle.' },
  { code: 414, reason: 'Request-URI Too Long', reference: 'RFC 3261 §21.4.12', meaning: 'The Request-URI is longer than the server will read.' },
  { code: 415, reason: 'Unsupported Media Type', reference: 'RFC 3261 §21.4.13', meaning: 'The server cannot handle the body type (or its encoding or language).' },
  { code: 416, reason: 'Unsupported URI Scheme', reference: 'RFC 3261 §21.4.14', meaning: 'The server does not know the scheme of the Request-URI.' },
  { code: 417, reason: 'Unknown Resource-Priority', reference: 'RFC 4412', meaning: 'The Resource-Priority header names a namespace or priority the server does not know.' },
  { code: 420, reason: 'Bad Extension', reference: 'RFC 3261 §21.4.15', meaning: 'An extension listed in Require or Proxy-Require is not supported here.' },
  { code: 421, reason: 'Extension Required', reference: 'RFC 3261 §21.4.16', meaning: 'The server needs an extension the request did not offer in Supported.' },
  { code: 422, reason: 'Session Interval Too Small', reference: 'RFC 4028', meaning: 'The Session-Expires value is below the minimum the server accepts (Min-SE).' },
  { code: 423, reason: 'Interval Too Brief', reference: 'RFC 3261 §21.4.17; 3GPP TS 24.229 §5.1.1.2.1', meaning: 'The requested expiry is too short; Min-Expires gives the minimum. Also seen when a user agent registers again too quickly.', analysis: 'The retry must ask for an Expires of at least Min-Expires.' },
  { code: 428, reason: 'Use Identity Header', reference: 'RFC 8224', meaning: 'The server wants the request signed with an Identity header.' },
  { code: 429, reason: 'Provide Referrer Identity', reference: 'RFC 3892', meaning: 'The REFER target wants a Referred-By token proving who asked for the referral.' },
  { code: 430, reason: 'Flow Failed', reference: 'RFC 5626', meaning: 'The outbound flow (the kept-open connection) to the user agent is broken.' },
  { code: 433, reason: 'Anonymity Disallowed', reference: 'RFC 5079', meaning: 'The server refuses anonymous requests.' },
  { code: 436, reason: 'Bad Identity Info', reference: 'RFC 8224', meaning: 'The certificate reference of the Identity header cannot be used.' },
  { code: 437, reason: 'Unsupported Credential', reference: 'RFC 8224', meaning: "The signer's credential cannot be verified or is not accepted." },
  { code: 438, reason: 'Invalid Identity Header', reference: 'RFC 8224', meaning: 'The Identity signature does not verify.' },
  { code: 439, reason: 'First Hop Lacks Outbound Support', reference: 'RFC 5626', meaning: 'The registrar supports outbound, but the first proxy on the path does not.' },
  { code: 440, reason: 'Max-Breadth Exceeded', reference: 'RFC 5393', meaning: 'Forking this request further would exceed its Max-Breadth limit.' },
  { code: 469, reason: 'Bad Info Package', reference: 'RFC 6086', meaning: 'The INFO carries an Info-Package the receiver did not agree to.' },
  { code: 470, reason: 'Consent Needed', reference: 'RFC 5360', meaning: 'The recipient has not consented to receive requests from this sender.' },
  { code: 480, reason: 'Temporarily Unavailable', reference: 'RFC 3261 §21.4.18', meaning: 'The callee is known but cannot be reached right now (not registered, do not disturb).' },
  { code: 481, reason: 'Call/Transaction Does Not Exist', reference: 'RFC 3261 §21.4.19', meaning: 'The request matches no dialog or transaction the server knows.', analysis: 'Inside a call this means one side has lost the call state.' },
  { code: 482, reason: 'Loop Detected', reference: 'RFC 3261 §21.4.20', meaning: 'The request came back to a server it already passed through.' },
  { code: 483, reason: 'Too Many Hops', reference: 'RFC 3261 §21.4.21', meaning: 'Max-Forwards reached zero before the request got to its destination.' },
  { code: 484, reason: 'Address Incomplete', reference: 'RFC 3261 §21.4.22', meaning: 'The Request-URI is incomplete, e.g. not all digits were dialled yet.' },
  { code: 485, reason: 'Ambiguous', reference: 'RFC 3261 §21.4.23', meaning: 'The Request-URI matches several users; the response may list them.' },
  { code: 486, reason: 'Busy Here', reference: 'RFC 3261 §21.4.24', meaning: 'The callee is busy on this device.' },
  { code: 487, reason: 'Request Terminated', reference: 'RFC 3261 §21.4.25', meaning: 'The request was stopped by a CANCEL or a BYE.', analysis: 'Expected after a CANCEL; it is ACKed like any failure.' },
  { code: 488, reason: 'Not Acceptable Here', reference: 'RFC 3261 §21.4.26; 3GPP TS 24.229', meaning: 'The session description cannot be accepted here (in IMS: SDP parameters local policy forbids).', analysis: 'Usually a codec or SDP mismatch: compare the offered media with what the callee supports.' },
  { code: 489, reason: 'Bad Event', reference: 'RFC 6665', meaning: 'The server does not know the event package of the SUBSCRIBE or NOTIFY.' },
  { code: 491, reason: 'Request Pending', reference: 'RFC 3261 §21.4.27', meaning: 'A request from the other side is still pending and collides with this one (glare).', analysis: 'Retry after a random delay (§14.1).' },
  { code: 493, reason: 'Undecipherable', reference: 'RFC 3261 §21.4.28', meaning: 'An S/MIME body could not be decrypted.' },
  { code: 494, reason: 'Security Agreement Required', reference: 'RFC 3329', meaning: 'The server requires a security mechanism to be agreed first (sec-agree).', analysis: 'Seen on IMS REGISTER with sec-agree.' },
  { code: 500, reason: 'Server Internal Error', reference: 'RFC 3261 §21.5.1', meaning: 'Something unexpected went wrong in the server; the client may try again after some seconds, Retry-After says when.', analysis: 'Same retry rule as 503.' },
  { code: 501, reason: 'Not Implemented', reference: 'RFC 3261 §21.5.2', meaning: 'The server does not support this method at all.' },
  { code: 502, reason: 'Bad Gateway', reference: 'RFC 3261 §21.5.3', meaning: 'A gateway or proxy got an invalid response from the next server.' },
  { code: 503, reason: 'Service Unavailable', reference: 'RFC 3261 §21.5.4; 3GPP TS 24.229', meaning: 'The server is overloaded or under maintenance for now (in IMS also: no radio, bearer or signalling resources, or the service is not offered).', analysis: 'With Retry-After the client waits that long before retrying; without it the client is expected to retry after about 30 s with growing back-off. Flag a 503 without Retry-After, a retry sooner than Retry-After and a 503 that is never retried.' },
  { code: 504, reason: 'Server Time-out', reference: 'RFC 3261 §21.5.5; 3GPP TS 24.229 §5.1.1.2.1', meaning: 'A server the request needed did not answer in time.' },
  { code: 505, reason: 'Version Not Supported', reference: 'RFC 3261 §21.5.6', meaning: 'The server does not support this SIP version.' },
  { code: 513, reason: 'Message Too Large', reference: 'RFC 3261 §21.5.7', meaning: 'The message is longer than the server can take.', analysis: 'Over UDP a message near the MTU should have been sent over TCP (§18.1.1).' },
  { code: 555, reason: 'Push Notification Service Not Supported', reference: 'RFC 8599', meaning: 'The server does not support the push notification service the request asked for.' },
  { code: 580, reason: 'Precondition Failure', reference: 'RFC 3312', meaning: 'The preconditions of the session (e.g. reserved network resources) cannot be met.' },
  { code: 600, reason: 'Busy Everywhere', reference: 'RFC 3261 §21.6.1; 3GPP TS 24.229 §5.1.1.2.1', meaning: 'The callee is busy on every device.' },
  { code: 603, reason: 'Decline', reference: 'RFC 3261 §21.6.2', meaning: 'The callee does not want to take part.' },
  { code: 604, reason: 'Does Not Exist Anywhere', reference: 'RFC 3261 §21.6.3', meaning: 'The user exists nowhere.' },
  { code: 606, reason: 'Not Acceptable', reference: 'RFC 3261 §21.6.4', meaning: "The callee's device was reached, but some part of the session is unacceptable anywhere." },
  { code: 607, reason: 'Unwanted', reference: 'RFC 8197', meaning: 'The callee marked the call as unwanted (spam).' },
  { code: 608, reason: 'Rejected', reference: 'RFC 8688', meaning: 'An intermediary (e.g. a call-blocking service) rejected the call.' },
];

function classOf(code: number): ResponseClassInfo {
  const index = Math.min(6, Math.max(1, Math.floor(code / 100))) - 1;
  return RESPONSE_CLASSES[index];
}

function toInfo(entry: ResponseEntry): ResponseInfo {
  const responseClass = classOf(entry.code);
  return Object.freeze({
    code: entry.code,
    reason: entry.reason,
    responseClass: responseClass.responseClass,
    className: responseClass.name,
    meaning: entry.meaning,
    reference: entry.reference,
    analysis: entry.analysis ?? null,
  });
}

const RESPONSE_BY_CODE = new Map<number, ResponseInfo>(RESPONSES.map((entry) => [entry.code, toInfo(entry)]));
const METHOD_BY_NAME = new Map<string, MethodInfo>(METHODS.map((info) => [info.method, Object.freeze(info)]));

/**
 * What a method is. Method names are case-sensitive (RFC 3261 §7.1), so "invite" is not
 * INVITE: an unknown name gets a generic description.
 */
export function describeMethod(method: string): MethodInfo {
  return METHOD_BY_NAME.get(method) ?? {
    method,
    reference: 'RFC 3261 §7.1, §8.2.1',
    meaning: `${method} is not a standard method known here: an extension, or a typing error. A server that does not support it answers 405 or 501.`,
    analysis: null,
  };
}

/**
 * What a status code means. A code not listed is read as the x00 code of its class, as a
 * client must (RFC 3261 §8.1.3.2); a number outside 100-699 is no SIP status code.
 */
export function describeResponse(code: number): ResponseInfo {
  const known = RESPONSE_BY_CODE.get(code);
  if (known !== undefined) return known;
  const responseClass = classOf(code);
  if (!Number.isInteger(code) || code < 100 || code > 699) {
    return {
      code, reason: 'Invalid', responseClass: responseClass.responseClass, className: responseClass.name,
      meaning: `${code} is not a SIP status code (they run from 100 to 699).`,
      reference: 'RFC 3261 §7.2', analysis: null,
    };
  }
  const base = RESPONSE_BY_CODE.get(responseClass.responseClass * 100)!;
  return {
    code,
    reason: base.reason,
    responseClass: responseClass.responseClass,
    className: responseClass.name,
    meaning: `Unknown code, read as ${base.code} ${base.reason} (${responseClass.name}): ${responseClass.meaning}`,
    reference: 'RFC 3261 §8.1.3.2',
    analysis: null,
  };
}

export function allMethods(): MethodInfo[] {
  return [...METHODS];
}

export function allResponses(): ResponseInfo[] {
  return [...RESPONSE_BY_CODE.values()];
}
