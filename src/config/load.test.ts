import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { createLogger } from '../logger.js';
import { createRuntimeDeps } from '../pipeline/policy.js';
import { compileConfig, loadConfigFile, loadConfigText } from '../features.js';
import { PoolRegistry } from '../forward/pools.js';
import { ConfigError, formatPath } from './errors.js';
import * as loadModule from './load.js';
import type { LoadedConfig } from './loaded.js';

const FILE = 'portico.yaml';

/** One expected issue: path as printed, "line:column" ("" when there is none), a substring of the message. */
type Want = [path: string, at: string, message: string];

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

function rows(err: ConfigError): Want[] {
  return err.issues.map((i) => [formatPath(i.path), i.line ? `${i.line}:${i.column}` : '', i.message]);
}

function assertIssues(err: ConfigError, want: Want[]): void {
  const got = rows(err);
  const dump = got.map((r) => r.join('  ')).join('\n');
  assert.equal(got.length, want.length, `issue count; got:\n${dump}`);
  for (const [i, [path, at, message]] of want.entries()) {
    const g = got[i] as Want;
    assert.equal(g[0], path, `issue ${i} path; got:\n${dump}`);
    assert.equal(g[1], at, `issue ${i} (${path}) line:column; got:\n${dump}`);
    assert.ok(
      g[2].includes(message),
      `issue ${i} (${path}) message ${JSON.stringify(g[2])} should include ${JSON.stringify(message)}`,
    );
  }
}

function loadIssues(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  return configError(() => loadConfigText(text, FILE, env));
}

function load(text: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return loadConfigText(text, FILE, env);
}

// --- schema errors -------------------------------------------------------------------------------

test('five distinct problems give five issues, each with path, line:column and message', () => {
  const err = loadIssues(`version: 1
apis:
  - name: pets
    type: rest
    stages:
      prod: {}
    routes:
      - route: GET /pets
        integration: { type: mock }
      - route: FETCH /pets
        integration: { type: mock }
      - route: GET /pets/x{id}
        integration: { type: http_proxy, uri: "http://127.0.0.1:1", timeoutMs: 10 }
      - route: GET /a//b
        integration: { type: lambda }
`);
  assert.equal(err.file, FILE);
  assert.equal(err.code, 'GW_ERR_CONFIG_INVALID');
  assertIssues(err, [
    [
      'apis[0].routes[1].route',
      '10:16',
      'unknown method "FETCH": expected ANY or one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
    ],
    ['apis[0].routes[2].route', '12:16', 'segment "x{id}" mixes text and a parameter'],
    ['apis[0].routes[2].integration.timeoutMs', '13:80', '>=50'],
    ['apis[0].routes[3].route', '14:16', 'empty path segment in "/a//b"'],
    ['apis[0].routes[3].integration.type', '15:30', 'expected type to be one of "http_proxy", "mock"'],
  ]);
  // The message lists every issue as FILE:LINE:COL PATH: MESSAGE.
  assert.ok(err.message.includes(`${FILE}:10:16 apis[0].routes[1].route: unknown method "FETCH"`), err.message);
  assert.ok(err.message.includes(`${FILE}:15:30 apis[0].routes[3].integration.type: expected type`), err.message);
});

test('problems across the whole file are reported together, in file order', () => {
  const err = loadIssues(`version: 2
server:
  listen: nope
  limits: { maxBodyBytes: -1 }
admin:
  token: short
upstreams:
  u:
    targets: []
  v:
    targets:
      - url: ftp://x
      - { url: "http://x", weight: -1 }
apis:
  - name: bad name!
    type: graphql
    stages: {}
    routes: []
`);
  assertIssues(err, [
    ['version', '1:10', 'expected version: 1'],
    ['server.listen', '3:11', 'expected HOST:PORT such as 0.0.0.0:8080 or [::1]:8080, got "nope"'],
    ['server.limits.maxBodyBytes', '4:27', '>=0'],
    ['admin.token', '6:10', 'expected a token of at least 16 characters'],
    ['upstreams.u.targets', '9:14', 'expected at least one target'],
    ['upstreams.v.targets[0].url', '12:14', 'expected an http:// or https:// URL'],
    ['upstreams.v.targets[1].weight', '13:36', '>=0'],
    ['apis[0].name', '15:11', 'expected a name of letters, digits, "_", "." or "-" (max 128)'],
    ['apis[0].type', '16:11', 'expected one of "rest", "http", got "graphql"'],
    ['apis[0].stages', '17:13', 'expected at least one stage'],
  ]);
});

test('missing keys and wrong types say what was expected', () => {
  const err = loadIssues(`version: 1
apis:
  - type: rest
    stages: [prod]
    routes:
      - integration: { type: mock }
      - route: GET /x
      - route: GET /y
        integration: { type: mock, statusCode: "200" }
      - route: 5
        integration: mock
  - name: b
    type: http
    stages: { $default: {} }
    hosts: ["a b"]
    basePath: v1
    routes: {}
`);
  assertIssues(err, [
    ['apis[0].name', '3:5', 'missing required key (expected string)'],
    ['apis[0].stages', '4:13', 'expected record, got a list'],
    ['apis[0].routes[0].route', '6:9', 'missing required key (expected string)'],
    ['apis[0].routes[1].integration', '7:9', 'missing required key (expected object)'],
    ['apis[0].routes[2].integration.statusCode', '9:48', 'expected number, got "200"'],
    ['apis[0].routes[3].route', '10:16', 'expected string, got number 5'],
    ['apis[0].routes[3].integration', '11:22', 'expected object, got "mock"'],
    ['apis[1].hosts[0]', '15:13', 'expected a host name, optionally starting with "*."'],
    ['apis[1].basePath', '16:15', 'expected a base path such as / or /v1/pets'],
    ['apis[1].routes', '17:13', 'expected array, got a mapping'],
  ]);
});

test('unknown keys (typos) are reported at the key', () => {
  const err = loadIssues(`version: 1
server:
  listn: 127.0.0.1:80
upstream:
  u: { targets: [{ url: "http://127.0.0.1:1" }] }
apis:
  - name: a
    type: http
    rotues: []
    routes:
      - route: GET /
        integration:
          type: http_proxy
          uri: http://127.0.0.1:1/
          timeout: 100
    stages:
      $default:
        variabels: {}
    gatewayResponses:
      NOT_A_TYPE: {}
      THROTTLED: { statusCode: 429, bodyy: x }
`);
  assertIssues(err, [
    ['server.listn', '3:3', 'unknown key "listn"'],
    ['upstream', '4:1', 'unknown key "upstream"'],
    ['apis[0].rotues', '9:5', 'unknown key "rotues"'],
    ['apis[0].routes[0].integration.timeout', '15:11', 'unknown key "timeout"'],
    ['apis[0].stages.$default.variabels', '18:9', 'unknown key "variabels"'],
    ['apis[0].gatewayResponses.NOT_A_TYPE', '20:7', 'unknown key "NOT_A_TYPE"'],
    ['apis[0].gatewayResponses.THROTTLED.bodyy', '21:37', 'unknown key "bodyy"'],
  ]);
});

test('invalid map keys say what a key must look like, at the key', () => {
  const err = loadIssues(`version: 1
upstreams:
  "my upstream": { targets: [{ url: "http://127.0.0.1:1" }] }
apis:
  - name: a
    type: http
    stages:
      "bad stage": {}
      $default:
        variables: { "a-b": x }
    routes: []
    gatewayResponses:
      DEFAULT_4XX:
        headers: { "bad header": x }
`);
  assertIssues(err, [
    ['upstreams["my upstream"]', '3:3', 'invalid key "my upstream": expected a name of letters, digits'],
    [
      'apis[0].stages["bad stage"]',
      '8:7',
      'invalid key "bad stage": expected "$default" or a stage name of [A-Za-z0-9_-]{1,128}',
    ],
    [
      'apis[0].stages.$default.variables.a-b',
      '10:22',
      'invalid key "a-b": expected a stage variable name of [A-Za-z0-9_]{1,64}',
    ],
    [
      'apis[0].gatewayResponses.DEFAULT_4XX.headers["bad header"]',
      '14:20',
      'invalid key "bad header": expected an HTTP header name',
    ],
  ]);
});

// --- YAML syntax and shape ------------------------------------------------------------------------

interface SyntaxCase {
  name: string;
  text: string;
  at: string;
  message: string;
}

const syntaxCases: SyntaxCase[] = [
  {
    name: 'unclosed flow sequence',
    text: 'version: 1\napis:\n  - name: a\n    routes: [\n',
    at: '5:1',
    message: 'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  {
    name: 'duplicate key',
    text: 'version: 1\napis:\n  - name: a\n    name: b\n',
    at: '4:5',
    message: 'YAML syntax: Map keys must be unique',
  },
  {
    name: 'tab indentation',
    text: 'version: 1\napis:\n\t- name: a\n',
    at: '3:1',
    message: 'YAML syntax: Tabs are not allowed as indentation',
  },
];

for (const c of syntaxCases) {
  test(`YAML syntax error: ${c.name}`, () => {
    const err = loadIssues(c.text);
    const first = rows(err)[0] as Want;
    assert.deepEqual(first, ['(root)', c.at, c.message]);
  });
}

for (const [name, text] of [
  ['empty file', ''],
  ['a list', '- a\n'],
  ['a scalar', 'hello\n'],
] as const) {
  test(`config that is not a mapping: ${name}`, () => {
    assertIssues(loadIssues(text), [['(root)', '', 'expected a mapping with version: 1 and apis']]);
  });
}

// --- ${ENV} interpolation -------------------------------------------------------------------------

const ENV_CONFIG = `version: 1
server:
  listen: \${LISTEN}
  watch: \${WATCH}
  limits:
    maxBodyBytes: \${MAX_BODY}
apis:
  - name: \${API_NAME:-fallback-name}
    type: http
    stages:
      $default:
        variables:
          literal: "$\${HOME}"
          stageRef: \${stageVariables.other}
          inText: pre-\${SUFFIX:-dflt}-post
          emptyWithDefault: \${EMPTY:-e}
          quoted: "\${CODE}"
          jsonish: \${JSONISH}
    routes:
      - route: GET /
        integration:
          type: mock
          statusCode: \${CODE}
          body: '\${CODE}'
`;

test(`\${ENV}: set values, defaults, $\${ literal, stageVariables left alone, typed unquoted values`, () => {
  const { config } = load(ENV_CONFIG, {
    LISTEN: '127.0.0.1:8081',
    WATCH: 'false',
    MAX_BODY: '1000',
    CODE: '201',
    EMPTY: '',
    JSONISH: '{"a": 1}',
    HOME: '/should/not/appear',
  });
  const api = config.apis[0]!;
  assert.equal(config.server.listen, '127.0.0.1:8081');
  assert.equal(config.server.watch, false);
  assert.equal(config.server.limits.maxBodyBytes, 1000);
  assert.equal(api.name, 'fallback-name');
  assert.deepEqual(api.stages.$default?.variables, {
    literal: `\${HOME}`,
    stageRef: `\${stageVariables.other}`,
    inText: 'pre-dflt-post',
    emptyWithDefault: 'e',
    quoted: '201',
    // A value is never parsed as YAML: it stays the string it is.
    jsonish: '{"a": 1}',
  });
  const integration = api.routes[0]!.integration;
  assert.equal(integration.type, 'mock');
  if (integration.type !== 'mock') return;
  assert.equal(integration.statusCode, 201, `unquoted \${CODE} becomes a number`);
  assert.equal(integration.body, '201', `quoted \${CODE} stays a string`);
});

test(`\${ENV}: the default is not used when the variable is set`, () => {
  const { config } = load(ENV_CONFIG, {
    LISTEN: '127.0.0.1:1',
    WATCH: 'true',
    MAX_BODY: '1',
    CODE: '200',
    JSONISH: 'x',
    API_NAME: 'from-env',
  });
  assert.equal(config.apis[0]?.name, 'from-env');
});

test(`\${ENV}: a missing variable is an error naming it, at its line; its type error is not repeated`, () => {
  const err = loadIssues(ENV_CONFIG, { WATCH: 'true', MAX_BODY: '1', CODE: '200' });
  assertIssues(err, [
    ['server.listen', '3:11', `environment variable LISTEN is not set (write \${LISTEN:-default} to give a default)`],
    ['apis[0].stages.$default.variables.jsonish', '18:20', 'environment variable JSONISH is not set'],
  ]);
});

test(`\${ENV}: an empty variable without a default counts as unset`, () => {
  const err = loadIssues(ENV_CONFIG, { LISTEN: '127.0.0.1:1', WATCH: 'true', MAX_BODY: '1', CODE: '200', JSONISH: '' });
  assertIssues(err, [
    ['apis[0].stages.$default.variables.jsonish', '18:20', 'environment variable JSONISH is not set'],
  ]);
});

test(`\${ENV}: two missing variables in one value are two issues`, () => {
  const err = loadIssues(`version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /
        integration:
          type: http_proxy
          uri: http://\${UP_HOST}:\${UP_PORT}/x
`);
  assertIssues(err, [
    ['apis[0].routes[0].integration.uri', '10:16', 'environment variable UP_HOST is not set'],
    ['apis[0].routes[0].integration.uri', '10:16', 'environment variable UP_PORT is not set'],
  ]);
});

test(`\${ENV}: a value of the wrong type is reported by the schema`, () => {
  const err = loadIssues(ENV_CONFIG, {
    LISTEN: '127.0.0.1:1',
    WATCH: 'true',
    MAX_BODY: 'lots',
    CODE: '200',
    JSONISH: 'x',
  });
  assertIssues(err, [['server.limits.maxBodyBytes', '6:19', 'expected number, got "lots"']]);
});

// --- JSON files -----------------------------------------------------------------------------------

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-load-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('JSON config files load too, with line:column in errors', async (t) => {
  const dir = await tempDir(t);
  const good = join(dir, 'good.json');
  const config = {
    version: 1,
    apis: [
      {
        name: 'a',
        type: 'http',
        stages: { $default: {} },
        routes: [{ route: 'GET /', integration: { type: 'mock' } }],
      },
    ],
  };
  await writeFile(good, JSON.stringify(config, null, 2));
  const loaded = await loadConfigFile(good, {});
  assert.equal(loaded.file, good);
  assert.equal(loaded.dir, dir);
  assert.equal(loaded.config.apis[0]?.routes[0]?.route, 'GET /');
  assert.match(loaded.hash, /^[0-9a-f]{64}$/);

  const bad = join(dir, 'bad.json');
  config.apis[0]!.routes[0]!.route = 'GET pets';
  await writeFile(bad, JSON.stringify(config, null, 2));
  const err = await loadConfigFile(bad, {}).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e as ConfigError,
  );
  assert.ok(err instanceof ConfigError);
  assert.equal(err.file, bad);
  assertIssues(err, [['apis[0].routes[0].route', '12:20', 'expected "METHOD /path"']]);
});

test('a missing config file is one issue naming the file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'nope.yaml');
  const err = await loadConfigFile(file, {}).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e as ConfigError,
  );
  assert.ok(err instanceof ConfigError);
  assert.equal(err.file, file);
  assertIssues(err, [['(root)', '', 'cannot read config: file not found']]);
});

// --- semantic errors (compileConfig) -----------------------------------------------------------

function compileIssues(t: TestContext, text: string): ConfigError {
  const loaded = load(text);
  const pools = new PoolRegistry();
  t.after(() => pools.close());
  return configError(() =>
    compileConfig(loaded, { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 }),
  );
}

function compiles(t: TestContext, text: string): void {
  const pools = new PoolRegistry();
  t.after(() => pools.close());
  compileConfig(load(text), { runtime: createRuntimeDeps({ pools, log: createLogger('silent') }), revision: 1 });
}

const UPSTREAMS = `upstreams:
  books: { targets: [{ url: "http://127.0.0.1:1" }] }
  authors: { targets: [{ url: "http://127.0.0.1:2" }] }
`;

interface SemanticCase {
  name: string;
  text: string;
  want: Want[];
}

const semanticCases: SemanticCase[] = [
  {
    name: 'duplicate route (same shape, other parameter name)',
    text: `version: 1
apis:
  - name: a
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets/{id}
        integration: { type: mock }
      - route: GET /pets/{petId}
        integration: { type: mock }
`,
    want: [
      ['apis[0].routes[1].route', '9:16', 'route "GET /pets/{petId}" duplicates apis[0].routes[0] ("GET /pets/{id}")'],
    ],
  },
  {
    name: 'duplicate route (trailing slash)',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: ANY /pets
        integration: { type: mock }
      - route: GET /pets
        integration: { type: mock }
      - route: ANY /pets/
        integration: { type: mock }
`,
    want: [['apis[0].routes[2].route', '11:16', 'route "ANY /pets/" duplicates apis[0].routes[0] ("ANY /pets")']],
  },
  {
    name: 'duplicate route (percent-encoded spelling of the same path)',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /p%65ts
        integration: { type: mock }
      - route: GET /pets
        integration: { type: mock }
`,
    want: [['apis[0].routes[1].route', '9:16', 'route "GET /pets" duplicates apis[0].routes[0] ("GET /p%65ts")']],
  },
  {
    name: 'duplicate $default route',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: $default
        integration: { type: mock }
      - route: $default
        integration: { type: mock }
`,
    want: [['apis[0].routes[1].route', '9:16', 'route "$default" duplicates apis[0].routes[0] ("$default")']],
  },
  {
    name: '$default route on a rest API',
    text: `version: 1
apis:
  - name: a
    type: rest
    stages: { prod: {} }
    routes:
      - route: $default
        integration: { type: mock }
`,
    want: [
      ['apis[0].routes[0].route', '7:16', 'the $default route is for http APIs; on a rest API use "ANY /{proxy+}"'],
    ],
  },
  {
    name: '$default stage on a rest API',
    text: `version: 1
apis:
  - name: a
    type: rest
    stages:
      $default: {}
    routes:
      - route: GET /
        integration: { type: mock }
`,
    want: [
      [
        'apis[0].stages.$default',
        '6:17',
        'the $default stage is for http APIs; a rest API stage needs a name such as "prod"',
      ],
    ],
  },
  {
    name: 'unknown upstream lists the defined ones',
    text: `version: 1
${UPSTREAMS}apis:
  - name: a
    type: http
    stages: { $default: {}, beta: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy, upstream: bookz }
`,
    want: [['apis[0].routes[0].integration.upstream', '11:52', 'unknown upstream "bookz"; defined: books, authors']],
  },
  {
    name: 'unknown upstream when none is defined',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy, upstream: books }
`,
    want: [
      ['apis[0].routes[0].integration.upstream', '8:52', 'unknown upstream "books"; none is defined under upstreams'],
    ],
  },
  {
    name: 'http_proxy with both uri and upstream',
    text: `version: 1
${UPSTREAMS}apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy, upstream: books, uri: "http://127.0.0.1:1/" }
`,
    want: [
      [
        'apis[0].routes[0].integration',
        '11:22',
        'an http_proxy integration needs exactly one of "uri", "upstream" or "listener"',
      ],
    ],
  },
  {
    name: 'http_proxy with neither uri nor upstream',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy }
`,
    want: [
      [
        'apis[0].routes[0].integration',
        '8:22',
        'an http_proxy integration needs exactly one of "uri", "upstream" or "listener"',
      ],
    ],
  },
  {
    name: 'uri {param} that is not in the route, reported once for all stages',
    text: `version: 1
apis:
  - name: a
    type: rest
    stages: { prod: {}, beta: {} }
    routes:
      - route: GET /books/{id}
        integration: { type: http_proxy, uri: "http://127.0.0.1:1/books/{bookId}" }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "http://127.0.0.1:1/{proxy}/{x}" }
`,
    want: [
      ['apis[0].routes[0].integration.uri', '8:47', '"{bookId}" is not a path parameter of this route'],
      ['apis[0].routes[1].integration.uri', '10:47', '"{x}" is not a path parameter of this route'],
    ],
  },
  {
    name: 'path parameter in the URI host',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /{tenant}
        integration: { type: http_proxy, uri: "http://{tenant}.example.com/" }
`,
    want: [['apis[0].routes[0].integration.uri', '8:47', 'path parameters are not allowed in the URI host or port']],
  },
  {
    name: 'relative uri',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy, uri: "/books" }
`,
    want: [['apis[0].routes[0].integration.uri', '8:47', 'expected an absolute http:// or https:// URI, got "/books"']],
  },
  {
    name: 'stage variable undefined in one stage names that stage',
    text: `version: 1
apis:
  - name: a
    type: rest
    stages:
      prod: { variables: { backend: "127.0.0.1:1" } }
      beta: {}
    routes:
      - route: GET /
        integration: { type: http_proxy, uri: "http://\${stageVariables.backend}/x" }
`,
    want: [
      [
        'apis[0].routes[0].integration.uri',
        '10:47',
        'stage variable "backend" is not defined in this stage (stage "beta")',
      ],
    ],
  },
  {
    name: 'stage variable undefined in every stage is reported per stage',
    text: `version: 1
apis:
  - name: a
    type: rest
    stages: { prod: {}, beta: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy, uri: "http://\${stageVariables.backend}/x" }
`,
    want: [
      [
        'apis[0].routes[0].integration.uri',
        '8:47',
        'stage variable "backend" is not defined in this stage (stage "prod")',
      ],
      [
        'apis[0].routes[0].integration.uri',
        '8:47',
        'stage variable "backend" is not defined in this stage (stage "beta")',
      ],
    ],
  },
  {
    name: 'two APIs mounted at the same place',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
  - name: b
    type: http
    stages:
      $default: {}
    routes: [{ route: GET /, integration: { type: mock } }]
`,
    want: [
      [
        'apis[1].stages.$default',
        '10:17',
        'API "b" stage "$default" is mounted at / where API "a" stage "$default" already is; give one of them a basePath or hosts',
      ],
    ],
  },
  {
    name: 'two APIs mounted at the same base path, stage and host',
    text: `version: 1
apis:
  - name: a
    type: rest
    hosts: [api.example.com]
    basePath: /v1
    stages: { prod: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
  - name: b
    type: rest
    hosts: [other.example.com, API.example.com]
    basePath: /v1
    stages:
      prod: {}
    routes: [{ route: GET /, integration: { type: mock } }]
`,
    want: [
      [
        'apis[1].stages.prod',
        '14:13',
        'API "b" stage "prod" is mounted at /v1/prod where API "a" stage "prod" already is',
      ],
    ],
  },
  {
    name: 'unknown $context variable in a gateway response body and header',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
    gatewayResponses:
      DEFAULT_4XX:
        body: '{"m":$context.error.mesage, "id":"\${context.requestId}"}'
        headers:
          x-why: $context.nope
`,
    want: [
      [
        'apis[0].gatewayResponses.DEFAULT_4XX.body',
        '9:15',
        'unknown variable $context.error.mesage; known: $context.requestId',
      ],
      ['apis[0].gatewayResponses.DEFAULT_4XX.headers.x-why', '11:18', 'unknown variable $context.nope'],
    ],
  },
  {
    name: 'duplicate API name',
    text: `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
  - name: a
    type: http
    basePath: /other
    stages: { $default: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
`,
    want: [['apis[1].name', '7:11', 'duplicate API name "a" (also apis[0])']],
  },
];

for (const c of semanticCases) {
  test(`semantic error: ${c.name}`, (t) => {
    assertIssues(compileIssues(t, c.text), c.want);
  });
}

test('semantic errors across APIs are all reported at once', (t) => {
  const err = compileIssues(
    t,
    `version: 1
${UPSTREAMS}apis:
  - name: rest-api
    type: rest
    stages: { prod: {} }
    routes:
      - route: $default
        integration: { type: mock }
      - route: GET /x/{id}
        integration: { type: http_proxy, uri: "http://127.0.0.1:1/{nope}" }
      - route: GET /x/{other}
        integration: { type: mock }
  - name: http-api
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /
        integration: { type: http_proxy, upstream: missing }
    gatewayResponses:
      THROTTLED: { body: $context.bogus }
`,
  );
  assert.equal(err.issues.length, 5, rows(err).join('\n'));
  assert.deepEqual(
    rows(err)
      .map((r) => r[0])
      .sort(),
    [
      'apis[0].routes[0].route',
      'apis[0].routes[1].integration.uri',
      'apis[0].routes[2].route',
      'apis[1].gatewayResponses.THROTTLED.body',
      'apis[1].routes[0].integration.upstream',
    ],
  );
});

test('an encoded slash is not a separator: GET /a%2Fb and GET /a/b are two routes', (t) => {
  compiles(
    t,
    `version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes:
      - route: GET /a%2Fb
        integration: { type: mock }
      - route: GET /a/b
        integration: { type: mock }
`,
  );
});

test('APIs told apart by hosts or base path, and a rest stage beside an http $default stage, compile', (t) => {
  compiles(
    t,
    `version: 1
apis:
  - name: rest-api
    type: rest
    stages: { production: {} }
    routes: [{ route: "ANY /{proxy+}", integration: { type: mock } }]
  - name: http-api
    type: http
    stages: { $default: {} }
    routes: [{ route: GET /api/books, integration: { type: mock } }]
  - name: by-host
    type: http
    hosts: [a.example.com, "*.b.example.com"]
    stages: { $default: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
  - name: by-base-path
    type: rest
    basePath: /v2
    stages: { production: {} }
    routes: [{ route: GET /, integration: { type: mock } }]
`,
  );
});

test('a large file (3,000 routes) is parsed on a worker thread: the same config, and issues keep their line:column', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-large-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lines = ['version: 1', 'apis:', '  - name: big', '    type: rest', '    stages: { prod: {} }', '    routes:'];
  for (let i = 0; i < 3000; i++)
    lines.push(
      `      - route: GET /svc${i}/items/{id}`,
      `        integration: { type: http_proxy, uri: "http://127.0.0.1:9/items/{id}" }`,
    );
  const text = `${lines.join('\n')}\n`;
  assert.ok(text.length >= 256 * 1024, `the file must be large enough to go off-thread (${text.length} bytes)`);
  const good = join(dir, 'good.yaml');
  await writeFile(good, text);
  const before = loadModule.offThreadLoads;
  const loaded = await loadConfigFile(good, {});
  assert.equal(loadModule.offThreadLoads, before + 1, 'parsed on a worker thread');
  assert.deepEqual(loaded.config, loadConfigText(text, good, {}).config);
  assert.equal(loaded.hash, loadConfigText(text, good, {}).hash);
  // An issue found later (compile) still gets its position from the text.
  assert.deepEqual(loaded.issue(['apis', 0, 'routes', 2999, 'route'], 'x'), {
    path: ['apis', 0, 'routes', 2999, 'route'],
    message: 'x',
    line: 6005,
    column: 16,
  });
  // A schema error at the very end: the worker's issues come back with file, path and line.
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, `${text}      - route: FETCH /x\n        integration: { type: mock }\n`);
  await assert.rejects(loadConfigFile(bad, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.file, bad);
    assert.equal(formatPath(err.issues[0]?.path ?? []), 'apis[0].routes[3000].route');
    assert.equal(err.issues[0]?.line, 6007);
    return true;
  });
});
