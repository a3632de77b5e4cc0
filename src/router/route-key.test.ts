import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRouteKey, type RouteKey } from './route-key.js';

const EXPECTED = 'expected "METHOD /path" such as "GET /pets/{id}", "ANY /{proxy+}" or "$default"';
const METHODS = 'expected ANY or one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

interface ValidCase {
  name: string;
  input: string;
  want: RouteKey;
}

const valid: ValidCase[] = [
  {
    name: '$default',
    input: '$default',
    want: { key: '$default', method: 'ANY', path: '', segments: [], isDefault: true },
  },
  {
    name: 'root path',
    input: 'GET /',
    want: { key: 'GET /', method: 'GET', path: '/', segments: [], isDefault: false },
  },
  {
    name: 'static path',
    input: 'POST /pets',
    want: {
      key: 'POST /pets',
      method: 'POST',
      path: '/pets',
      segments: [{ kind: 'static', value: 'pets' }],
      isDefault: false,
    },
  },
  {
    name: 'trailing slash is dropped',
    input: 'GET /pets/',
    want: {
      key: 'GET /pets',
      method: 'GET',
      path: '/pets',
      segments: [{ kind: 'static', value: 'pets' }],
      isDefault: false,
    },
  },
  {
    name: 'ANY with a greedy parameter',
    input: 'ANY /{proxy+}',
    want: {
      key: 'ANY /{proxy+}',
      method: 'ANY',
      path: '/{proxy+}',
      segments: [{ kind: 'greedy', name: 'proxy' }],
      isDefault: false,
    },
  },
  {
    name: 'static, param and greedy segments',
    input: 'DELETE /pets/{id}/files/{path+}',
    want: {
      key: 'DELETE /pets/{id}/files/{path+}',
      method: 'DELETE',
      path: '/pets/{id}/files/{path+}',
      segments: [
        { kind: 'static', value: 'pets' },
        { kind: 'param', name: 'id' },
        { kind: 'static', value: 'files' },
        { kind: 'greedy', name: 'path' },
      ],
      isDefault: false,
    },
  },
  {
    name: 'parameter names may hold ".", "-" and "_"',
    input: 'PATCH /{_a.b-c}',
    want: {
      key: 'PATCH /{_a.b-c}',
      method: 'PATCH',
      path: '/{_a.b-c}',
      segments: [{ kind: 'param', name: '_a.b-c' }],
      isDefault: false,
    },
  },
  {
    name: 'static segments may hold RFC 3986 pchar (but "+") and %-escapes',
    input: "OPTIONS /a.b~c-d_e:f@g!$&'()*,;=%20",
    want: {
      key: "OPTIONS /a.b~c-d_e:f@g!$&'()*,;=%20",
      method: 'OPTIONS',
      path: "/a.b~c-d_e:f@g!$&'()*,;=%20",
      segments: [{ kind: 'static', value: "a.b~c-d_e:f@g!$&'()*,;=%20" }],
      isDefault: false,
    },
  },
  {
    name: 'HEAD is a method of its own',
    input: 'HEAD /x',
    want: { key: 'HEAD /x', method: 'HEAD', path: '/x', segments: [{ kind: 'static', value: 'x' }], isDefault: false },
  },
  {
    name: 'PUT',
    input: 'PUT /x/{id}',
    want: {
      key: 'PUT /x/{id}',
      method: 'PUT',
      path: '/x/{id}',
      segments: [
        { kind: 'static', value: 'x' },
        { kind: 'param', name: 'id' },
      ],
      isDefault: false,
    },
  },
];

for (const c of valid) {
  test(`parseRouteKey valid: ${c.name}`, () => {
    assert.deepEqual(parseRouteKey(c.input), c.want);
  });
}

interface InvalidCase {
  name: string;
  input: string;
  message: string;
}

const invalid: InvalidCase[] = [
  { name: 'empty', input: '', message: `${EXPECTED}, got ""` },
  { name: 'method only', input: 'GET', message: `${EXPECTED}, got "GET"` },
  { name: 'path only', input: '/pets', message: `${EXPECTED}, got "/pets"` },
  { name: 'path without leading slash', input: 'GET pets', message: `${EXPECTED}, got "GET pets"` },
  { name: 'two spaces', input: 'GET  /pets', message: `${EXPECTED}, got "GET  /pets"` },
  { name: 'leading space', input: ' GET /pets', message: `${EXPECTED}, got " GET /pets"` },
  { name: 'space in the path', input: 'GET /a b', message: `${EXPECTED}, got "GET /a b"` },
  { name: '$default is case-sensitive', input: '$DEFAULT', message: `${EXPECTED}, got "$DEFAULT"` },
  { name: '$default takes no path', input: '$default /x', message: `unknown method "$default": ${METHODS}` },
  { name: 'lower-case method', input: 'get /pets', message: `unknown method "get": ${METHODS}` },
  { name: 'WebDAV method', input: 'PROPFIND /x', message: `unknown method "PROPFIND": ${METHODS}` },
  { name: 'CONNECT is not an AWS method', input: 'CONNECT /x', message: `unknown method "CONNECT": ${METHODS}` },
  { name: 'empty segment', input: 'GET /a//b', message: 'empty path segment in "/a//b"' },
  {
    name: 'greedy not last',
    input: 'GET /{proxy+}/x',
    message: 'greedy parameter "{proxy+}" must be the last segment of "/{proxy+}/x"',
  },
  {
    name: 'parameter twice',
    input: 'GET /a/{id}/b/{id}',
    message: 'path parameter "{id}" appears twice in "/a/{id}/b/{id}"',
  },
  {
    name: 'param and greedy with one name',
    input: 'GET /{id}/{id+}',
    message: 'path parameter "{id}" appears twice in "/{id}/{id+}"',
  },
  {
    name: 'text around a parameter',
    input: 'GET /pets/x{y}',
    message: 'segment "x{y}" mixes text and a parameter; a parameter must be a whole segment like {id}',
  },
  {
    name: 'stray brace',
    input: 'GET /a}',
    message: 'segment "a}" mixes text and a parameter; a parameter must be a whole segment like {id}',
  },
  { name: 'query string', input: 'GET /a?b=1', message: 'segment "a?b=1" has characters not allowed in a path' },
  // "+" is kept out of static segments so it only ever means greedy ({proxy+}).
  {
    name: 'plus sign in a static segment',
    input: 'GET /c++',
    message: 'segment "c++" has characters not allowed in a path',
  },
  { name: 'fragment', input: 'GET /a#b', message: 'segment "a#b" has characters not allowed in a path' },
  { name: 'non-ASCII', input: 'GET /café', message: 'segment "café" has characters not allowed in a path' },
];

for (const c of invalid) {
  test(`parseRouteKey invalid: ${c.name}`, () => {
    assert.equal(parseRouteKey(c.input), c.message);
  });
}
