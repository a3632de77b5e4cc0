export const MAIN_HELP = `Usage: portico <command> [options]

An API gateway with Amazon API Gateway semantics.

Commands:
  start      Run the gateway from a config file
  validate   Check a config file and report every error
  routes     Print the route table (api, stage, method, path → integration)
  reload     Tell a running gateway to reload its config
  cache      Flush a running gateway's response cache, or show its statistics
  demo       Run the sample services behind the demo config (what \`npm start\` runs)
  import     Convert an OpenAPI/Swagger definition (with x-amazon-apigateway-*) into a config

Options:
  -h, --help     Show help (also: portico <command> --help)
  -v, --version  Print the version

Exit codes: 0 ok, 1 failure (e.g. invalid config), 2 usage error.`;

export const COMMAND_HELP: Record<string, string> = {
  start: `Usage: portico start [-c FILE] [--listen HOST:PORT] [--admin-listen HOST:PORT] [--data-dir DIR]

Runs the gateway. Flags override the file. Reloads on file change, SIGHUP and \`portico reload\`;
drains in-flight requests on SIGTERM/SIGINT, then exits.

Options:
  -c, --config FILE          Config file (default: $PORTICO_CONFIG or ./portico.yaml)
      --listen HOST:PORT     Data listener (default from file, else 0.0.0.0:8080)
      --admin-listen HOST:PORT  Admin listener (default from file, else 127.0.0.1:9876)
      --data-dir DIR         Runtime data directory (default from file, else ./portico-data)
      --log-level LEVEL      trace|debug|info|warn|error|fatal|silent
      --no-watch             Do not reload when the file changes`,
  validate: `Usage: portico validate [-c FILE]

Loads and compiles the config without starting anything. Prints every error with file:line:column
and the path inside the file, and exits 1 if there is any.

Options:
  -c, --config FILE   Config file (default: $PORTICO_CONFIG or ./portico.yaml)`,
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
                              [--type rest|http] [--name NAME] [--vpc-link ID=URL ...] [--strict]
       portico import cloudformation FILE [--out FILE] [--param NAME=VALUE ...]
                              [--resource LOGICAL.ATTR=VALUE ...] [--vpc-link ID=URL ...] [--strict]

Converts a Swagger 2.0 / OpenAPI 3.x document that uses the x-amazon-apigateway-* extensions, or a
CloudFormation template (JSON or YAML with !Ref/!Sub/... tags), into a Portico config, validated
before it is written (stdout unless --out). What could not be mapped is listed on stderr by JSON
pointer with a reason; --strict then fails instead.

Options:
  -o, --out FILE            Write the config here instead of stdout
      --param NAME=VALUE    openapi: value for a \${NAME} placeholder; cloudformation: a template
                            parameter or Fn::ImportValue export (repeatable)
      --resource L.A=VALUE  cloudformation: a resource attribute the template can't know,
                            e.g. EC2Instance.PublicDnsName=127.0.0.1 (repeatable)
      --stage NAME          Stage to create (default prod for rest, $default for http)
      --type rest|http      API type (default: http if HTTP API extensions are used, else rest)
      --name NAME           API name (default from info.title)
      --vpc-link ID=URL     Where a VPC link (its id or logical id) leads, e.g. abc123=http://10.0.0.5:80 (repeatable)
      --strict              Exit 1 and write nothing if any feature is unsupported`,
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
  demo: `Usage: portico demo [--listen HOST:PORT] [--admin-listen HOST:PORT]

Starts the tutorial backends (greeting; book-service and author-service, two instances each) on
loopback ports and the gateway in front of them with examples/demo/portico.yaml.

Options:
      --listen HOST:PORT        Gateway listener (default 127.0.0.1:8080)
      --admin-listen HOST:PORT  Admin listener (default 127.0.0.1:9876)`,
};
