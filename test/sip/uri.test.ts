// parseUri, parseNameAddr and parseVia on the forms RFC 3261 §19.1.3, §20 and §25.1 show.
import { describe, expect, it } from 'vitest';
import { parseNameAddr, parseUri, parseVia } from '../../src/sip/index.js';

describe('parseUri', () => {
  it('reads every part of a SIP URI', () => {
    expect(parseUri('sip:alice:secretword@atlanta.com;transport=tcp;lr?subject=project%20x&priority=urgent')).toEqual({
      scheme: 'sip', user: 'alice', password: 'secretword', host: 'atlanta.com', port: null,
      params: { transport: 'tcp', lr: null }, headers: { subject: 'project%20x', priority: 'urgent' },
    });
  });

  it('reads IPv6 hosts, ports and sips', () => {
    expect(parseUri('sips:bob@[2001:db8::10]:5061')).toMatchObject({ scheme: 'sips', user: 'bob', host: '2001:db8::10', port: 5061 });
    expect(parseUri('sip:127.0.0.1:15130')).toMatchObject({ user: null, host: '127.0.0.1', port: 15130, params: {} });
  });

  it('keeps user parameters in the user part (telephone-subscriber)', () => {
    expect(parseUri('sip:+1-212-555-1212:1234@gateway.com;user=phone')).toMatchObject({ user: '+1-212-555-1212', password: '1234', host: 'gateway.com', params: { user: 'phone' } });
    expect(parseUri('sip:+358-555-1234567;postd=pp22@foo.com;user=phone')).toMatchObject({ user: '+358-555-1234567;postd=pp22', host: 'foo.com' });
  });

  it('reads tel URIs and other schemes', () => {
    expect(parseUri('tel:+1-201-555-0123;phone-context=example.com')).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '', params: { 'phone-context': 'example.com' } });
    expect(parseUri('cid:alice-loc@sipladder.test')).toMatchObject({ scheme: 'cid', user: null, host: 'alice-loc@sipladder.test' });
  });

  it('refuses what is no URI', () => {
    expect(parseUri('alice@example.com')).toBeNull();
    expect(parseUri('sip:')).toBeNull();
    expect(parseUri('sip:alice@')).toBeNull();
    expect(parseUri('sip:bob@[::1')).toBeNull();
  });
});

describe('parseNameAddr', () => {
  it('reads a quoted display name with escapes, the URI and the header parameters', () => {
    expect(parseNameAddr('"Bob \\"the\\" Builder, Jr" <sip:bob@biloxi.com;transport=udp>;tag=a6c85cf;expires=60')).toEqual({
      display: 'Bob "the" Builder, Jr', uri: 'sip:bob@biloxi.com;transport=udp', params: { tag: 'a6c85cf', expires: '60' },
    });
  });

  it('reads token display names, bare name-addr and addr-spec', () => {
    expect(parseNameAddr('Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8')).toEqual({ display: 'Anonymous', uri: 'sip:c8oqz84zk7z@privacy.org', params: { tag: 'hyh8' } });
    expect(parseNameAddr('<sip:bob@biloxi.com>')).toEqual({ display: null, uri: 'sip:bob@biloxi.com', params: {} });
    expect(parseNameAddr('sip:+12125551212@server.phone2net.com;tag=887s')).toEqual({ display: null, uri: 'sip:+12125551212@server.phone2net.com', params: { tag: '887s' } });
    expect(parseNameAddr('*')).toEqual({ display: null, uri: '*', params: {} });
  });

  it('reads the first of several values only', () => {
    expect(parseNameAddr('<sip:a@x>;q=0.7, <sip:b@y>')).toEqual({ display: null, uri: 'sip:a@x', params: { q: '0.7' } });
  });

  it('refuses a value without a URI', () => {
    expect(parseNameAddr('')).toBeNull();
    expect(parseNameAddr('"Alice" <sip:alice@atlanta.com')).toBeNull();
  });
});

describe('parseVia', () => {
  it('reads protocol, transport, sent-by and parameters', () => {
    expect(parseVia('SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1;rport=5060')).toEqual({
      protocol: 'SIP/2.0', transport: 'UDP', sentBy: 'pc33.atlanta.com', params: { branch: 'z9hG4bKnashds8', received: '192.0.2.1', rport: '5060' },
    });
  });

  it('reads the first value, IPv6 sent-by and the whitespace the grammar allows', () => {
    expect(parseVia('SIP / 2.0 / TLS [2001:db8::9] : 5061 ; branch=z9hG4bK-x ; rport, SIP/2.0/UDP other')).toEqual({
      protocol: 'SIP/2.0', transport: 'TLS', sentBy: '[2001:db8::9]:5061', params: { branch: 'z9hG4bK-x', rport: null },
    });
  });

  it('refuses a value without sent-protocol or sent-by', () => {
    expect(parseVia('SIP/2.0/UDP')).toBeNull();
    expect(parseVia('pc33.atlanta.com;branch=z9hG4bK1')).toBeNull();
  });
});
