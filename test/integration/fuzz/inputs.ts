import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  type GraphQLInputType,
} from 'graphql';
import type { Random } from './random.js';

/**
 * Values for any GraphQL input type, mostly well-typed (so they reach the resolvers and services) but
 * nasty: NUL and lone surrogates, huge strings, wrong-shaped ids, extreme numbers and dates, deep nesting,
 * unicode. A slice is deliberately ill-typed, to exercise GraphQL's own coercion errors.
 */

/** Ids and keys that exist in the fuzzed account, so some inputs get past "not found" into deeper code. */
export interface KnownValues {
  connectionId: string;
  scenarioKey: string;
  bulkId: string;
  messageId: string;
  /** A loopback URL the service may call (the fake Viber bot). */
  reachableUrl: string;
}

const BAD_TEXT = ['\u0000', 'a\u0000b', '\u0000\u0000\u0000', '\uD800', 'x\uDBFFy', '\uDC00', 'ok\uD83D', '\uDE00ok', '\u0000\uD800'];

const PLAIN = [
  '', ' ', 'a', 'Omnishop', 'hello world', '0', '-1', '1e309', 'null', 'undefined', 'true', '{}', '[]', '%00',
  '\\u0000', "'; drop table message; --", '" OR 1=1 --', '../../etc/passwd', '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}', '\n\r\t', '\u200b', '\u202egnp.exe', 'İstanbul', 'ß', '𝕏', '😀', '👩‍👩‍👧‍👦',
  '\uFEFF', '\u007f', '\u001b[31mred', 'Ω'.repeat(500), 'a\u0301', '\u{10FFFF}', '\uFFFE', '\\', '"', '\u2028\u2029',
];

const PHONES = ['41793026724', '+41793026720', '+41793026729', '+1', '0', '+999999999999999999999', '+41 79 302 67 24', '41793026724'.repeat(30), '+4179302672a'];

const UUIDS = [
  '00000000-0000-0000-0000-000000000000',
  '6f1c2a52-3c4b-4d1e-9f8a-2b7c1d0e9f11',
  'not-a-uuid',
  '0000000-0000-0000-0000-000000000000',
  'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
  '{6f1c2a52-3c4b-4d1e-9f8a-2b7c1d0e9f11}',
  '6f1c2a523c4b4d1e9f8a2b7c1d0e9f11',
  '1',
  "' or 1=1 --",
];

const TIME_ZONES = ['Europe/Zurich', 'UTC', 'Mars/Olympus', '../../../../etc/localtime', 'Etc/GMT+14', 'America/Argentina/ComodRivadavia', 'utc', '+02:00'];

const SENDERS = ['Omnishop', 'InfoSMS', '12345', '+41793026720', 'x'.repeat(29), 'x'.repeat(12), 'Shop & Co', 'ÄÖÜ'];

/** Every address class the outbound URL rules must refuse, plus forms that hide them. */
const HOSTILE_URLS = [
  'http://127.0.0.1:9/hook',
  'http://localhost:9/hook',
  'http://[::1]:9/hook',
  'http://0.0.0.0:9/hook',
  'http://2130706433:9/hook',
  'http://0x7f.1:9/hook',
  'http://[::ffff:7f00:1]:9/hook',
  'http://10.0.0.1/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://100.64.0.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://[fc00::1]/hook',
  'https://user:secret@127.0.0.1/hook',
  'ftp://127.0.0.1/hook',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'http://',
  'http://127.0.0.1:99999/hook',
  'not a url',
];

export function cursor(kind: string, id: string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

const CURSORS = [
  cursor('message', '1'),
  cursor('message', '99999999999999999999999'),
  cursor('message', '9'.repeat(400)),
  cursor('message', '-1'),
  cursor('scenario', '1'),
  cursor('scenario', '18446744073709551616'),
  cursor('inbound', '0'),
  cursor('inbound', '9223372036854775808'),
  cursor('message', '1e5'),
  'garbage',
  '',
];

/** Date-times the DateTime scalar accepts, some at the edges of what PostgreSQL and JavaScript can hold. */
const DATES = [
  '2026-11-21T09:30:00Z',
  '1970-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59.999Z',
  '2026-11-21T09:30:00-12:00',
  '2026-11-21T09:30:00.123456789Z',
  '2026-02-30T00:00:00Z',
];

/** Strings the DateTime scalar must refuse. */
const NOT_DATES = ['2026-13-01T00:00:00Z', '2026-11-21T09:30:00', '2026-11-21', 'now', '', '2026-11-21T09:30:00+99:99', '2026-11-21T24:00:00Z', '+275760-09-13T00:00:00Z'];

const INTS = [0, 1, -1, 2, 3, 5, 10, 23, 59, 60, 100, 1000, 1001, 10_000, 10_001, 2_147_483_647, -2_147_483_648];
const BAD_INTS = [2_147_483_648, -2_147_483_649, 1.5, '1', 1e308, true, Number.MAX_SAFE_INTEGER + 2];
const FLOATS = [0, -0, 1.5, -90, 90, 90.000001, -180.5, 180, 1e308, -1e308, 5e-324, 47.3769, 8.5417];

function randomCodePoint(rng: Random): string {
  const ranges: Array<[number, number]> = [
    [0x00, 0x1f],
    [0x20, 0x7e],
    [0x80, 0x2ff],
    [0x400, 0x4ff],
    [0x600, 0x6ff],
    [0x4e00, 0x9fff],
    [0xd800, 0xdfff],
    [0xe000, 0xf8ff],
    [0xfff0, 0xffff],
    [0x1f300, 0x1faff],
    [0x10000, 0x10ffff],
  ];
  const [lo, hi] = rng.pick(ranges);
  return String.fromCodePoint(rng.int(lo, hi));
}

function randomText(rng: Random): string {
  let s = '';
  const n = rng.int(0, 40);
  for (let i = 0; i < n; i++) s += randomCodePoint(rng);
  return s;
}

function hugeText(rng: Random): string {
  const unit = rng.pick(['a', 'é', '😀', '\u0000', 'Ω ']);
  const size = rng.pick([4_001, 10_000, 100_001, 300_000]);
  return unit.repeat(Math.ceil(size / unit.length));
}

/** Puts a character PostgreSQL refuses somewhere inside an otherwise ordinary value. */
function poison(rng: Random, s: string): string {
  const bad = rng.pick(BAD_TEXT);
  const at = rng.int(0, s.length);
  return s.slice(0, at) + bad + s.slice(at);
}

function stringFor(rng: Random, name: string, known: KnownValues, small: boolean): string {
  let base: string;
  const roll = rng.next();
  if (roll < 0.04 && !small) return hugeText(rng);
  if (roll < 0.2) base = randomText(rng);
  else if (/phoneNumber|^to$/.test(name)) base = rng.pick(PHONES);
  else if (/url|Url/.test(name)) base = rng.chance(0.3) ? known.reachableUrl : rng.pick(HOSTILE_URLS);
  else if (/connectionId|^id$/.test(name)) base = rng.chance(0.4) ? known.connectionId : rng.pick(UUIDS);
  else if (/bulkId/.test(name)) base = rng.chance(0.5) ? known.bulkId : rng.pick(PLAIN);
  else if (/messageId/.test(name)) base = rng.chance(0.5) ? known.messageId : rng.pick(PLAIN);
  else if (/scenarioKey|^key$/.test(name)) base = rng.chance(0.5) ? known.scenarioKey : rng.pick(PLAIN);
  else if (/timeZone/.test(name)) base = rng.pick(TIME_ZONES);
  else if (/^after$|^before$/.test(name)) base = rng.pick(CURSORS);
  else if (/from/.test(name)) base = rng.pick(SENDERS);
  else base = rng.pick(PLAIN);
  return rng.chance(0.25) ? poison(rng, base) : base;
}

function deepList(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function deepObject(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Something of the wrong type for whatever was expected. */
function wrongTyped(rng: Random): unknown {
  return rng.pick<() => unknown>([
    () => 42,
    () => -1.5,
    () => true,
    () => 'a string',
    () => ({}),
    () => [],
    () => [1, 'two', null],
    () => ({ nested: { deeper: [1] } }),
    () => deepList(rng.int(50, 3_000)),
    () => deepObject(rng.int(50, 3_000)),
  ])();
}

export interface GenerateOptions {
  rng: Random;
  known: KnownValues;
  /**
   * Most requests keep to the declared types, so they get past GraphQL's coercion into the resolvers and
   * services; the rest may put a wrong type anywhere.
   */
  wellTyped: boolean;
  /** Inside a list of hundreds of items: no huge strings and no more long lists, so bodies stay a few MB. */
  small?: boolean;
}

/**
 * A value for `type`. `name` is the argument or input field it is for, so ids, URLs and phone numbers get
 * values of their kind more often than chance would give them.
 */
export function valueFor(type: GraphQLInputType, name: string, options: GenerateOptions, depth = 0): unknown {
  const { rng, known, wellTyped } = options;
  const mistake = (p: number) => !wellTyped && rng.chance(p);
  if (depth > 10) return null;
  if (mistake(0.03)) return wrongTyped(rng);
  if (type instanceof GraphQLNonNull) {
    if (mistake(0.02)) return null;
    return valueFor(type.ofType, name, options, depth);
  }
  if (rng.chance(0.08)) return null;
  if (type instanceof GraphQLList) {
    if (rng.chance(0.03)) return valueFor(type.ofType, name, options, depth + 1); // a lone item, which GraphQL makes a list
    const length = rng.chance(0.03) && !options.small ? rng.int(101, 1_200) : rng.chance(0.1) ? 0 : rng.int(1, 3);
    if (length > 100) {
      // Many copies of one item: the size is what matters here, not variety.
      const item = valueFor(type.ofType, name, { ...options, small: true }, depth + 1);
      return Array.from({ length }, () => item);
    }
    return Array.from({ length }, () => valueFor(type.ofType, name, options, depth + 1));
  }
  if (type instanceof GraphQLInputObjectType) {
    const fields = Object.values(type.getFields());
    const out: Record<string, unknown> = {};
    if (type.isOneOf) {
      const chosen = !mistake(0.15) ? [rng.pick(fields)] : rng.chance(0.5) ? [] : [rng.pick(fields), rng.pick(fields)];
      for (const f of chosen) out[f.name] = valueFor(new GraphQLNonNull(f.type), f.name, options, depth + 1);
    } else {
      for (const f of fields) {
        const required = f.type instanceof GraphQLNonNull;
        if (required ? !mistake(0.02) : rng.chance(0.5)) out[f.name] = valueFor(f.type, f.name, options, depth + 1);
      }
    }
    if (mistake(0.03)) {
      // defineProperty, so that even `__proto__` becomes an own key that JSON.stringify sends.
      Object.defineProperty(out, rng.pick(['unknownField', '__proto__', 'constructor']), { value: 'surprise', enumerable: true });
    }
    return out;
  }
  if (type instanceof GraphQLEnumType) {
    if (mistake(0.1)) return rng.pick(['FAX', 'viber', '', 'DELIVERED_TO_HANDSET', '\u0000']);
    return rng.pick(type.getValues()).name;
  }
  if (type instanceof GraphQLScalarType) {
    switch (type.name) {
      case 'String':
      case 'ID':
        return stringFor(rng, name, known, options.small ?? false);
      case 'Int':
        return mistake(0.1) ? rng.pick(BAD_INTS) : rng.chance(0.3) ? rng.int(-2_147_483_648, 2_147_483_647) : rng.pick(INTS);
      case 'Float':
        return mistake(0.1) ? rng.pick<unknown>(['1.5', true, null]) : rng.chance(0.3) ? (rng.next() - 0.5) * 10 ** rng.int(0, 12) : rng.pick(FLOATS);
      case 'Boolean':
        return mistake(0.1) ? rng.pick<unknown>(['true', 0, 1]) : rng.chance(0.5);
      case 'DateTime':
        if (mistake(0.1)) return rng.pick<unknown>([1_700_000_000, true, {}]);
        if (rng.chance(0.3)) return new Date(Date.now() + rng.int(-400, 400) * 86_400_000 + rng.int(0, 86_400_000)).toISOString();
        if (mistake(0.3)) return rng.chance(0.3) ? poison(rng, rng.pick(DATES)) : rng.pick(NOT_DATES);
        return rng.pick(DATES);
      default:
        return stringFor(rng, name, known, options.small ?? false);
    }
  }
  return null;
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where in a JSON value a string holds a character PostgreSQL refuses, as paths of keys and indexes. */
export function unstorablePaths(value: unknown): string[][] {
  // Iterative: fuzzed values nest thousands deep.
  const found: string[][] = [];
  const stack: Array<[unknown, string[]]> = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) found.push(path);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, [...path, String(i)]]));
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) stack.push([item, [...path, k]]);
    }
  }
  return found;
}
