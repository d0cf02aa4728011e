// parseSdp / summarizeSdp / isHoldSdp on the corpus hold and resume offers and on SDP written
// out here after the examples of RFC 8866 §5 and RFC 3264 §8.4 / §10.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHoldSdp, parseSdp, parseSipMessage, summarizeSdp } from '../../src/sip/index.js';
import { summarizeSdpBody } from '../../src/sip/sdp.js';

/** The hot-path summary of an SDP text, through its bytes. */
function summarizeSdpText(text: string) {
  const bytes = Buffer.from(text, 'utf8');
  return summarizeSdpBody(bytes, 0, bytes.length);
}
import { corpusMessages } from './corpus-messages.js';

describe('parseSdp', () => {
  it('reads session and media lines, rtpmap, fmtp, per-media connection and bandwidth', () => {
    const sdp = parseSdp([
      'v=0',
      'o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
      's=SDP Seminar',
      'c=IN IP4 224.2.17.12/127',
      'b=AS:128',
      't=2873397496 2873404696',
      'a=recvonly',
      'm=audio 49170 RTP/AVP 0 96',
      'a=rtpmap:96 opus/48000/2',
      'a=fmtp:96 useinbandfec=1; stereo=1',
      'm=video 51372/2 RTP/AVP 99',
      'c=IN IP6 2001:db8::2',
      'b=TIAS:256000',
      'a=rtpmap:99 h263-1998/90000',
      'a=inactive',
      'bogus line',
      '',
    ].join('\r\n'));
    expect(sdp).toMatchObject({
      version: '0',
      origin: { username: 'jdoe', sessionId: '2890844526', sessionVersion: '2890842807', netType: 'IN', addrType: 'IP4', address: '10.47.16.5' },
      originText: 'jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
      sessionName: 'SDP Seminar',
      connection: { netType: 'IN', addrType: 'IP4', address: '224.2.17.12' },
      bandwidths: ['AS:128'],
      times: ['2873397496 2873404696'],
      attributes: [{ name: 'recvonly', value: null }],
      direction: 'recvonly',
      invalidLines: ['bogus line'],
    });
    expect(sdp.media[0]).toMatchObject({ media: 'audio', port: 49170, portCount: null, proto: 'RTP/AVP', formats: ['0', '96'], connection: null, direction: null });
    expect({ ...sdp.media[0].rtpmap }).toEqual({ '96': 'opus/48000/2' });
    expect({ ...sdp.media[0].fmtp }).toEqual({ '96': 'useinbandfec=1; stereo=1' });
    expect(sdp.media[1]).toMatchObject({ media: 'video', port: 51372, portCount: 2, connection: { addrType: 'IP6', address: '2001:db8::2' }, bandwidths: ['TIAS:256000'], direction: 'inactive' });

    expect(summarizeSdp(sdp)).toEqual({
      origin: 'jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
      address: '224.2.17.12',
      media: [
        // Static payload type 0 is named from RFC 3551; the session's recvonly applies.
        { media: 'audio', port: 49170, proto: 'RTP/AVP', formats: ['0', '96'], codecs: ['PCMU/8000', 'opus/48000/2'], address: '224.2.17.12', direction: 'recvonly' },
        { media: 'video', port: 51372, proto: 'RTP/AVP', formats: ['99'], codecs: ['h263-1998/90000'], address: '2001:db8::2', direction: 'inactive' },
      ],
    });
  });

  it('defaults to sendrecv and names no codecs for non-RTP media', () => {
    const summary = summarizeSdp(parseSdp('v=0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\nm=audio 0 RTP/AVP 8\n'));
    expect(summary).toEqual({
      origin: null, address: null,
      media: [
        { media: 'application', port: 9, proto: 'UDP/DTLS/SCTP', formats: ['webrtc-datachannel'], codecs: [], address: null, direction: 'sendrecv' },
        { media: 'audio', port: 0, proto: 'RTP/AVP', formats: ['8'], codecs: ['PCMA/8000'], address: null, direction: 'sendrecv' },
      ],
    });
  });

  it('treats payload type names from the wire as plain keys', () => {
    const summary = summarizeSdp(parseSdp('m=audio 1 RTP/AVP constructor __proto__ toString\r\na=rtpmap:__proto__ X/1\r\n'));
    expect(summary.media[0].codecs).toEqual(['X/1']);
  });
});

describe('hold (RFC 3264 §8.4)', () => {
  const hold = corpusMessages('call-reinvite-hold');
  const sdpOf = (i: number) => parseSipMessage(hold[i].bytes).sdp!;

  it('reads the corpus re-INVITE with a=sendonly as hold and its recvonly answer as not', () => {
    expect(sdpOf(0).media[0].direction).toBe('sendrecv');
    expect(isHoldSdp(sdpOf(0))).toBe(false);
    const holdOffer = hold.findIndex((m) => m.bytes.includes('a=sendonly'));
    expect(sdpOf(holdOffer).media[0].direction).toBe('sendonly');
    expect(isHoldSdp(sdpOf(holdOffer))).toBe(true);
    const answer = hold.findIndex((m) => m.bytes.includes('a=recvonly'));
    expect(isHoldSdp(sdpOf(answer))).toBe(false);
  });

  it('reads c=0.0.0.0 (RFC 2543 style) and session-level inactive as hold, a rejected stream as not', () => {
    expect(isHoldSdp(summarizeSdp(parseSdp('v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 6000 RTP/AVP 0\r\n')))).toBe(true);
    expect(isHoldSdp(summarizeSdp(parseSdp('v=0\r\na=inactive\r\nm=audio 6000 RTP/AVP 0\r\n')))).toBe(true);
    expect(isHoldSdp(summarizeSdp(parseSdp('v=0\r\nm=audio 0 RTP/AVP 0\r\na=inactive\r\n')))).toBe(false);
  });
});

describe('summarizeSdpBody (the hot-path summary)', () => {
  const bodies = ['call-reinvite-hold', 'call-prack-update-info', 'call-basic-ipv6', 'tcp-big-sdp-segments', 'compact-headers-multipart']
    .flatMap((name) => corpusMessages(name))
    .flatMap(({ bytes }) => parseSipMessage(bytes).parts.filter((p) => p.contentType === 'application/sdp').map((p) => p.body.toString('utf8')));

  it('equals summarizeSdp(parseSdp(text)) on every corpus SDP', () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const text of bodies) expect(summarizeSdpText(text)).toEqual(summarizeSdp(parseSdp(text)));
  });

  it('equals summarizeSdp(parseSdp(text)) on generated SDP, broken lines and odd spacing included', () => {
    const line = fc.constantFrom(
      'v=0', 'o=a 1 2 IN IP4 192.0.2.1', 'o= spaced  out ', 'c=IN IP4 192.0.2.9', 'c=IN IP6 ::1/64', 'c=broken', 'c=IN IP4 0.0.0.0',
      'm=audio 49170 RTP/AVP 0 8 96', 'm=video 5000/2 RTP/SAVPF 96 97', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'm=audio x RTP/AVP', 'm=',
      'a=rtpmap:96 opus/48000/2', 'a=rtpmap:97  H264/90000 ', 'a= rtpmap :8 X/1', 'a=rtpmap:0', 'a=rtpmap: 96 late/1', 'a=fmtp:96 a=b',
      'a=sendonly', 'a=recvonly', 'a= inactive ', 'a=sendrecv', 'a=sendrecvx', 'a=\u00a0sendonly\u00a0', 'a=\u000bsendonly\f', 'a=\u001csendonly', 'm=audio 123456 RTP/AVP 0', 'a=ptime:20', 'a=', 'x', '', 'b=AS:64',
    );
    const eol = fc.constantFrom('\r\n', '\n');
    fc.assert(fc.property(fc.array(fc.tuple(line, eol), { maxLength: 20 }), (lines) => {
      const text = lines.map(([l, e]) => l + e).join('');
      expect(summarizeSdpText(text)).toEqual(summarizeSdp(parseSdp(text)));
    }), { numRuns: 1000 });
  });
});
