import { DEPLOYMENTS_HELP } from '../deployments/cli.js';
import { UPSTREAMS_HELP } from '../upstream/cli.js';

export const MAIN_HELP = `Usage: portico <command> [options]

An API gateway with Amazon API Gateway semantics.

Commands:
  start      Run the gateway from a config file
  validate   Check a config file and report every error
  routes     Print the route table (api, stage, method, path → integration)
  reload     Tell a running gateway to reload its config
  diff       Show what applying a config file would change in the running gateway
  apply      Deploy a config file through the admin API (--dry-run; --canary for one stage)
  rollback   Serve an earlier deployment again
  deployments  The deployment history and stage canaries
  canary     Set, promote or roll back a stage canary
  restart    Rolling restart of the workers of a gateway started with --workers N
  upstreams  Upstream status; change target weights or drain a target at runtime
  cache      Flush a running gateway's response cache, or show its statistics
  keys       Create, list, show, disable, enable, delete and rotate API keys of a running gateway
  usage      Print an API key's requests per day
  demo       Run the sample services behind the demo config (what \`npm start\` runs)
  import     Convert an OpenAPI/Swagger definition or a CloudFormation template into a config
  export     Write a config's API as OpenAPI 3 with the x-amazon-apigateway-* extensions
  invoke     Run one route's function once with a sample event and print its response

Options:
  -h, --help     Show help (also: portico <command> --help)
  -v, --version  Print the version

Exit codes: 0 ok, 1 failure (e.g. invalid config), 2 usage error.`;

export const COMMAND_HELP: Record<string, string> = {
  upstreams: UPSTREAMS_HELP,
  ...DEPLOYMENTS_HELP,
  start: `Usage: portico start [-c FILE] [--listen HOST:PORT] [--admin-listen HOST:PORT] [--data-dir DIR]

Runs the gateway. Flags override the file. Reloads on file change, SIGHUP and \`portico reload\`;
drains in-flight requests on SIGTERM/SIGINT, then exits. SIGUSR1 reopens access log files (logrotate).

Options:
  -c, --config FILE          Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --listen HOST:PORT     Data listener (default from file, else 0.0.0.0:8080)
      --admin-listen HOST:PORT  Admin listener (default from file, else 127.0.0.1:9876)
      --data-dir DIR         Runtime data directory (default from file, else ./portico-data)
      --log-level LEVEL      trace|debug|info|warn|error|fatal|silent
      --no-watch             Do not reload when the file changes
      --workers N            Run N worker processes sharing the listeners (node:cluster); limits and
                             quotas stay exact across them (docs/cluster.md)
      --pid-file FILE        Write the pid of the process to signal (the primary with --workers) to FILE;
                             removed at exit`,
  restart: `Usage: portico restart [-c FILE] [--data-dir DIR] [--admin URL] [--token TOKEN]

Asks a gateway started with --workers N for a rolling restart: each worker is replaced by a new one,
which serves before the old one drains, so no request is dropped.`,
  validate: `Usage: portico validate [-c FILE] [--json]

Loads and compiles the config without starting anything, and makes the checks \`portico start\` makes
(an admin listener off loopback needs admin.token; listeners may not share an address): what validate
passes, start accepts. Prints every error with file:line:column and the path inside the file, and
exits 1 if there is any.

Options:
  -c, --config FILE   Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --json          One JSON object on stdout, for CI: {"ok": true, "file", "apis", "routes", "warnings"}
                      or {"ok": false, "file", "errors": [{"path", "segments", "message", "line", "column"}]}`,
  routes: `Usage: portico routes [-c FILE] [--json]

Prints one row per api × stage × route: the public method and path and the integration it reaches.

Options:
  -c, --config FILE   Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --json          Print JSON instead of a table`,
  reload: `Usage: portico reload [-c FILE] [--data-dir DIR] [--admin URL] [--token TOKEN]

Asks a running gateway to reload its config through the admin API. The admin URL is read from
<dataDir>/runtime.json and the token from $PORTICO_ADMIN_TOKEN, admin.token or <dataDir>/admin.token,
unless given. Exits 1 if the new config is rejected (the old one keeps serving) and prints why.

Options:
  -c, --config FILE   Config file of the running gateway (default: $PORTICO_CONFIG or ./portico.yaml)
      --data-dir DIR  Its data directory (default from the config file)
      --admin URL     Admin API URL, e.g. http://127.0.0.1:9876
      --token TOKEN   Admin token`,
  import: `Usage: portico import openapi FILE [--out FILE] [--param NAME=VALUE ...] [--stage NAME]
                              [--type rest|http] [--name NAME] [--vpc-link ID=URL ...]
                              [--authorizer-function ID=FILE#EXPORT ...] [--jwks ID=URL ...]
                               [--function NAME=MODULE#EXPORT ...] [--backend URL|NAME=URL]
                               [--allow-partial] [--strict]
       portico import cloudformation FILE... [--out FILE] [--param NAME=VALUE ...]
                              [--resource LOGICAL.ATTR=VALUE ...] [--vpc-link ID=URL ...]
                              [--target NAME=HOST:PORT ...]
                              [--authorizer-function ID=FILE#EXPORT ...] [--jwks ID=URL ...]
                              [--function NAME=MODULE#EXPORT ...] [--code-root DIR] [--allow-partial]
                              [--strict]

Converts a Swagger 2.0 / OpenAPI 3.x document (with the x-amazon-apigateway-* extensions, or a plain
application document with --backend), or CloudFormation or SAM templates (JSON or YAML with
!Ref/!Sub/... tags; several: the stacks of one app, resolving Fn::ImportValue and cross-stack
parameters), into a Portico config, validated before it is written (stdout unless --out). What could
not be mapped is listed on stderr by JSON pointer with a reason. An import that leaves a route out,
or maps none, exits 1 and writes nothing unless --allow-partial; --strict also fails on any
unsupported feature.

Options:
  -o, --out FILE            Write the config here instead of stdout
      --param NAME=VALUE    openapi: value for a \${NAME} placeholder; cloudformation: a template
                            parameter or Fn::ImportValue export (repeatable)
      --resource L.A=VALUE  cloudformation: a resource attribute the template can't know,
                            e.g. EC2Instance.PublicDnsName=127.0.0.1 (repeatable)
      --target NAME=HOST:PORT
                            cloudformation: an address of a load balancer target group's targets that exist
                            only at run time (ECS tasks). NAME: the target group, its ECS service or Cloud Map
                            service (logical id or name). Repeatable, also for one NAME; HOST alone takes the
                            target group's port
      --stage NAME          Stage to create (default prod for rest, $default for http)
      --type rest|http      API type (default: http if HTTP API extensions are used, else rest)
      --name NAME           API name (default from info.title)
      --vpc-link ID=URL     Where a VPC link (its id or logical id) leads, e.g. abc123=http://10.0.0.5:80 (repeatable)
      --authorizer-function ID=FILE#EXPORT
                            Run a Lambda authorizer as this local function, e.g. my-auth=./auth.js#handler.
                            ID: the authorizer's name or logical id, or the Lambda function's name, ARN or
                            logical id. FILE is relative to the current directory. Routes whose Lambda
                            authorizer has no function are left out (repeatable)
      --jwks ID=URL         Key set of a Cognito or JWT authorizer instead of the issuer's, e.g. for a local
                            JWKS. ID: the authorizer's name or logical id, its issuer, or the user pool ARN/id
                            (repeatable)
      --function NAME=MODULE#EXPORT
                            The local handler that stands in for a Lambda function (its name, logical id
                            or ARN), e.g. Calc=./handlers/calc.js#handler; the module path is relative to
                            the working directory and written relative to --out (repeatable)
      --code-root DIR       cloudformation: where SAM CodeUri directories are, to find a function's
                            Handler module without --function (default: the template's directory).
                            Inline code is saved as functions/<LogicalId>/<module>.cjs next to --out
      --backend URL|NAME=URL
                            openapi: where operations without x-amazon-apigateway-integration go. URL: each
                            is proxied to URL + its path (path parameters filled in); NAME=URL: to upstream
                            NAME (target URL), the request path after the base path forwarded as is
      --allow-partial       Write the config even if routes were left out (each is listed with why)
      --strict              Exit 1 and write nothing if any feature is unsupported`,
  keys: `Usage: portico keys create --name NAME [--plan PLAN]... [--value VALUE] [--description TEXT] [--expires-at ISO] [--disabled]
       portico keys list
       portico keys show|disable|enable|delete ID
       portico keys rotate ID [--value VALUE]
       portico keys add-plan|remove-plan ID PLAN
       (all also take --json, -c FILE, --data-dir DIR, --admin URL, --token TOKEN)

Manages the API keys of a running gateway through its admin API (found as for \`portico reload\`).
create and rotate print the key's value once; only a keyed hash is stored. --value imports a
known value (20-128 printable characters, e.g. a CloudFormation AWS::ApiGateway::ApiKey Value).
ID is the key's id, or its name when no other key has that name. Plans are usagePlans of the
config; a key may be in one plan per stage. See docs/access-control.md.

Options:
      --name NAME         Key name
      --plan PLAN         Usage plan to join (repeatable)
      --value VALUE       Use this value instead of a generated one
      --description TEXT  What the key is for
      --expires-at ISO    Refuse the key from this time on, e.g. 2027-01-01T00:00:00Z
      --disabled          Create it disabled
      --json              Print JSON
  -c, --config FILE       Config file of the running gateway (default: $PORTICO_CONFIG or ./portico.yaml)
      --data-dir DIR      Its data directory (default from the config file)
      --admin URL         Admin API URL, e.g. http://127.0.0.1:9876
      --token TOKEN       Admin token`,
  usage: `Usage: portico usage --key ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]

Prints an API key's admitted requests per UTC day (default: the last 30 days up to today), from
the running gateway's admin API (found as for \`portico reload\`).

Options:
      --key ID            Key id (or unique name)
      --from DAY          First day, inclusive
      --to DAY            Last day, inclusive
      --json              Print JSON
  -c, --config FILE       Config file of the running gateway (default: $PORTICO_CONFIG or ./portico.yaml)
      --data-dir DIR      Its data directory (default from the config file)
      --admin URL         Admin API URL, e.g. http://127.0.0.1:9876
      --token TOKEN       Admin token`,
  cache: `Usage: portico cache flush --api NAME --stage NAME [--route "METHOD /path"] [--key-prefix PREFIX]
       portico cache stats [--json]
       (both also take -c FILE, --data-dir DIR, --admin URL, --token TOKEN)

flush removes a stage's response cache entries through the admin API: all of them, those of one
route (its route key, e.g. "GET /pets/{id}"), and/or those whose cache key starts with PREFIX
(keys start with the method and the stage-relative path, e.g. "GET /pets/"). stats prints entries,
bytes, hits, misses, stale answers, bypasses, coalesced requests and evictions per stage cache.
The admin API is found as for \`portico reload\`. See docs/caching.md.

Options:
      --api NAME          API name
      --stage NAME        Stage name ($default for the default stage)
      --route KEY         Only this route's entries
      --key-prefix PREFIX Only entries whose key starts with PREFIX
      --json              stats: print JSON
  -c, --config FILE       Config file of the running gateway (default: $PORTICO_CONFIG or ./portico.yaml)
      --data-dir DIR      Its data directory (default from the config file)
      --admin URL         Admin API URL, e.g. http://127.0.0.1:9876
      --token TOKEN       Admin token`,
  export: `Usage: portico export openapi [-c FILE] [--api NAME] [--out FILE]

Writes one API of the config (the first, or --api NAME) as OpenAPI 3.0 with the
x-amazon-apigateway-* extensions; JSON, or YAML when --out ends in .yaml. What AWS has no extension
for travels in x-portico, so \`portico import openapi\` of the result gives the same config.

Options:
  -c, --config FILE   Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --api NAME      Which API (default: the first)
  -o, --out FILE      Write here instead of stdout`,
  invoke: `Usage: portico invoke [-c FILE] --route "METHOD /path" [--api NAME] [--stage NAME]
                      [--event FILE | --path PATH [--method M] [--header NAME:VALUE ...] [--body TEXT]]

Runs the function of one route once, in a worker thread with the route's timeout and memory limit,
and prints the response the gateway would send as JSON (statusCode, headers, body, isBase64Encoded).
The event is read from --event (a JSON file, passed as is), or built from a sample request exactly as
the gateway builds it (payload 1.0 or 2.0). Exits 1 if the function fails or its response is malformed
(the gateway's error response is printed, the reason goes to stderr).

Options:
  -c, --config FILE     Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --route KEY       Route key as in the config, e.g. "GET /pets/{id}" or "$default"
      --api NAME        API, when several have the route
      --stage NAME      Stage (default: the API's first)
      --event FILE      Event JSON to pass as is
      --path PATH       Sample request path after the stage, with query (default: the route path)
      --method M        Sample request method (default: the route's, GET for ANY)
      --header N:V      Sample request header (repeatable)
      --body TEXT       Sample request body`,
  demo: `Usage: portico demo [--listen HOST:PORT] [--admin-listen HOST:PORT]

Starts the tutorial backends (greeting; book-service and author-service, two instances each) on
loopback ports and the gateway in front of them with examples/demo/portico.yaml.

Options:
      --listen HOST:PORT        Gateway listener (default 127.0.0.1:8080)
      --admin-listen HOST:PORT  Admin listener (default 127.0.0.1:9876)`,
};
