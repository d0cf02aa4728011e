// String-level readers for URIs, name-addr values and Via values (off the hot path: the raw
// message panel, the server, anonymisation).
import { nameAddr, scanNameAddr, scanVia, via } from './address.js';
import { Byte, dictionary, findTopLevel, textOf, unquoteText } from './bytes.js';

export interface SipUri {
  scheme: string;
  /** User part as written (escapes kept); for tel: the number. */
  user: string | null;
  password: string | null;
  /** Host without the brackets of an IPv6 reference; '' for tel: and URIs with no host. */
  host: string;
  port: number | null;
  /** URI parameters, names in lower case, values as written (null for a flag such as ;lr). */
  params: Record<string, string | null>;
  /** URI headers (after '?'), as written. */
  headers: Record<string, string>;
}

export interface NameAddr {
  /** Display name: a quoted string unquoted (escapes resolved), tokens as written; null if none. */
  display: string | null;
  /** The URI inside <>, or the addr-spec without the header parameters. */
  uri: string;
  /** Header parameters (tag, expires, q, ...): names in lower case, values as written. */
  params: Record<string, string | null>;
}

export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** "UDP", "TCP", "TLS", "SCTP", "WS", "WSS", as written. */
  transport: string;
  /** host[:port] as written (IPv6 in brackets), whitespace removed. */
  sentBy: string;
  params: Record<string, string | null>;
}

/** Splits text at `separator` outside quoted strings and <...>. */
export function splitTopLevel(text: string, separator: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>' && depth > 0) depth--;
    else if (ch === separator && depth === 0) {
      pieces.push(text.slice(from, i));
      from = i + 1;
    }
  }
  pieces.push(text.slice(from));
  return pieces;
}

/** ";name=value;flag" parameters to a record: names lower case, values as written. */
export function parseParams(text: string): Record<string, string | null> {
  const params = dictionary<string | null>();
  for (const piece of splitTopLevel(text, ';')) {
    const eq = piece.indexOf('=');
    const name = (eq < 0 ? piece : piece.slice(0, eq)).trim().toLowerCase();
    if (name.length > 0 && !(name in params)) params[name] = eq < 0 ? null : piece.slice(eq + 1).trim();
  }
  return params;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses a SIP, SIPS or tel URI (RFC 3261 §19.1, RFC 3966); other schemes give their opaque
 * part as host. null when there is no scheme or a sip(s) URI has no host.
 */
export function parseUri(uri: string): SipUri | null {
  const text = uri.trim();
  const scheme = SCHEME.exec(text);
  if (scheme === null) return null;
  let rest = text.slice(scheme[0].length);
  const schemeName = scheme[1].toLowerCase();
  const isSip = schemeName === 'sip' || schemeName === 'sips';
  // The user part may hold '?' (RFC 3261 §25.1 user-unreserved): headers start after the host.
  const at = isSip ? rest.indexOf('@') : -1;
  const headers = dictionary<string>();
  const question = rest.indexOf('?', at + 1);
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0) headers[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    rest = rest.slice(0, question);
  }
  if (!isSip) {
    const semi = rest.indexOf(';');
    const opaque = semi < 0 ? rest : rest.slice(0, semi);
    const params = semi < 0 ? dictionary<string | null>() : parseParams(rest.slice(semi + 1));
    return schemeName === 'tel'
      ? { scheme: scheme[1], user: opaque, password: null, host: '', port: null, params, headers }
      : { scheme: scheme[1], user: null, password: null, host: opaque, port: null, params, headers };
  }
  let user: string | null = null;
  let password: string | null = null;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    password = colon < 0 ? null : userinfo.slice(colon + 1);
    rest = rest.slice(at + 1);
  }
  let host: string;
  let afterHost: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return null;
    host = rest.slice(1, close);
    afterHost = rest.slice(close + 1);
  } else {
    const end = rest.search(/[:;]/);
    host = end < 0 ? rest : rest.slice(0, end);
    afterHost = end < 0 ? '' : rest.slice(end);
  }
  if (host.length === 0) return null;
  let port: number | null = null;
  if (afterHost.startsWith(':')) {
    const semi = afterHost.indexOf(';');
    const portText = semi < 0 ? afterHost.slice(1) : afterHost.slice(1, semi);
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : null;
    afterHost = semi < 0 ? '' : afterHost.slice(semi);
  }
  const params = afterHost.startsWith(';') ? parseParams(afterHost.slice(1)) : dictionary<string | null>();
  return { scheme: scheme[1], user, password, host, port, params, headers };
}

/** Parses the first name-addr or addr-spec of a From / To / Contact / Route value; null when it has no URI. */
export function parseNameAddr(value: string): NameAddr | null {
  const buf = Buffer.from(value, 'utf8');
  if (!scanNameAddr(buf, 0, buf.length)) return null;
  const { displayStart, displayEnd, uriStart, uriEnd, paramsStart } = nameAddr;
  const valueEnd = findTopLevel(buf, paramsStart, buf.length, Byte.COMMA);
  let display: string | null = null;
  if (displayEnd > displayStart) display = buf[displayStart] === Byte.DQUOTE ? unquoteText(textOf(buf, displayStart, displayEnd)) : textOf(buf, displayStart, displayEnd);
  const paramsText = textOf(buf, paramsStart, valueEnd).trim();
  return {
    display,
    uri: textOf(buf, uriStart, uriEnd),
    params: paramsText.startsWith(';') ? parseParams(paramsText.slice(1)) : dictionary<string | null>(),
  };
}

/** Parses the first value of a Via header; null when the sent-protocol or sent-by is missing. */
export function parseVia(value: string): Via | null {
  const buf = Buffer.from(value, 'utf8');
  if (!scanVia(buf, 0, buf.length)) return null;
  const paramsText = textOf(buf, via.paramsStart, findTopLevel(buf, via.paramsStart, buf.length, Byte.COMMA)).trim();
  return {
    protocol: textOf(buf, via.protocolStart, via.protocolEnd).replace(/\s+/g, ''),
    transport: textOf(buf, via.transportStart, via.transportEnd),
    sentBy: textOf(buf, via.sentByStart, via.sentByEnd).replace(/\s+/g, ''),
    params: paramsText.startsWith(';') ? parseParams(paramsText.slice(1)) : dictionary<string | null>(),
  };
}
