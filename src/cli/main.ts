import { ConfigurationError } from '../config.js';
import { runAuditCommand } from './audit-commands.js';
import { runClientCommand } from './client-commands.js';
import { runGrantCommand } from './grant-commands.js';
import { CliError, escapeForTerminal } from './output.js';
import { runServe } from './serve.js';
import { runKeyCommand } from './key-commands.js';
import { runMigrate } from './migrate.js';
import { runPrune } from './prune.js';
import { runResourceCommand } from './resource-commands.js';
import { runUserCommand } from './user-commands.js';

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve [--port N] [--host H]        migrate the database and start the server
  migrate                            bring the database schema up to date
  prune [--json]                     delete expired sessions, requests, codes and tokens now
  user create --username U --password-stdin [--name N] [--email E] [--json]
  user set-password --username U --password-stdin [--keep-app-tokens]
                                     change the password, end the user's sessions and,
                                     unless told to keep them, revoke the user's app tokens
  user disable --username U          block logins, end sessions and revoke all of the user's tokens
  user enable --username U
  user list [--json]
  client create --name N --redirect-uri URL [--redirect-uri URL ...] [--public]
                [--scope "a b"] [--grant-type T ...] [--post-logout-redirect-uri URL ...]
                [--token-endpoint-auth-method client_secret_basic|client_secret_post|none]
                [--id-token-signed-response-alg ES256|RS256|EdDSA]
                [--access-token-format opaque|jwt] [--resource URI ...] [--json]
  client list [--json]
  client rotate-secret --client-id ID [--json]
  client disable --client-id ID      disable the client and revoke all of its tokens
  client enable --client-id ID
  client delete --client-id ID       revoke all of the client's tokens and delete it
  resource create --name N --audience URI [--scope "a b"] [--access-token-format opaque|jwt] [--json]
  resource list [--json]             list resource servers, which may introspect their tokens
  grant list --user U [--json]       list the clients a user has authorized
  grant revoke --user U --client-id ID
                                     withdraw the authorization and revoke its tokens
  audit tail [--limit N] [--json]    show the latest audit events, oldest first
  keys list [--json]                 list signing keys and whether they are active or published
  keys rotate [--alg ES256|RS256|EdDSA] [--json]
                                     make a new signing key active; the old one stays published

Configuration comes from GATEHOUSE_* environment variables; see README.md.`;

/** Runs one CLI command and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await runServe(rest);
      case 'migrate':
        return await runMigrate(rest);
      case 'prune':
        return await runPrune(rest);
      case 'user':
        return await runUserCommand(rest);
      case 'client':
        return await runClientCommand(rest);
      case 'keys':
        return await runKeyCommand(rest);
      case 'resource':
        return await runResourceCommand(rest);
      case 'grant':
        return await runGrantCommand(rest);
      case 'audit':
        return await runAuditCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigurationError) {
      console.error(`gatehouse: ${escapeForTerminal(error.message)}`);
      if (error instanceof CliError && error.showUsage) console.error(`\n${USAGE}`);
      return 2;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`gatehouse: ${escapeForTerminal(error.message)}\n\n${USAGE}`);
      return 2;
    }
    console.error(`gatehouse: ${escapeForTerminal(error instanceof Error ? error.message : String(error))}`);
    return 1;
  }
}
