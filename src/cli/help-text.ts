/** The `--help` epilogues: what the flags do not say (environment, exit codes, examples). */

export const ENVIRONMENT_HELP = `
Environment:
  GENESYS_CLIENT_ID              OAuth client id (Client Credentials grant)
  GENESYS_CLIENT_SECRET          its secret (never logged); or GENESYS_CLIENT_SECRET_FILE=/run/secrets/…
  GENESYS_REGION                 mypurecloud.com (default), mypurecloud.ie, … or an SDK key such as eu_west_1
  GENESYS_API_BASE               override the API host (the emulator, a proxy), e.g. http://127.0.0.1:4010
  GENESYS_LOGIN_BASE             override the login host
  GENESYS_RELAY_COORDINATION_URL postgres://… shared by several workers (scrubbed from logs)
                                 or GENESYS_RELAY_COORDINATION_URL_FILE=/run/secrets/… (a file holding it)
  GENESYS_RELAY_METRICS_HOST     bind address of /metrics, /livez, /readyz (default 127.0.0.1; 0.0.0.0 in a container)
  GENESYS_RELAY_LOG_LEVEL        fatal | error | warn | info (default) | debug | trace | silent
  Precedence: defaults < --config file < environment < flags. All options: docs/configuration.md.`;

export const EXIT_CODES_HELP = `
Exit codes:
  0    success; \`run\`: clean shutdown after SIGINT/SIGTERM (drained)
  1    failure (rejected credentials, unreachable host, doctor findings, a relay already holding the state dir)
  2    bad configuration or usage (the message names the field or flag)
  130  \`run\` forced to stop by a second signal`;

export const ROOT_EXAMPLES = `
Examples:
  $ genesys-relay demo                                   # emulator + relay + live view, no credentials needed
  $ genesys-relay doctor --topic 'v2.users.<id>.presence' # check credentials, hosts and permissions
  $ genesys-relay run --config relay.yaml --metrics-port 9464
  $ genesys-relay config validate --config relay.yaml
  $ genesys-relay dlq list --sink webhook --json | head -1
Logs (JSON) go to stderr; stdout carries data (e.g. --sink ndjson:-).`;

export const RUN_EXAMPLES = `
Examples:
  $ export GENESYS_CLIENT_ID=… GENESYS_CLIENT_SECRET=… GENESYS_REGION=mypurecloud.ie
  $ genesys-relay run --topic 'v2.users.<id>?presence&routingStatus' --sink ndjson:events.ndjson
  $ genesys-relay run --config relay.yaml --state-dir /var/lib/genesys-relay --metrics-port 9464
  $ genesys-relay run --config relay.yaml --coordination-url postgres://relay@db/relay --worker-id relay-1
With no --sink and none in the config, events go to stdout (ndjson:-). Logs go to stderr.`;
