import { Option, type Command } from 'commander';
import { DEFAULT_KEY_SCOPES, operatorActor, SCOPES } from '../services/context.ts';
import type { ApiKey } from '../services/workspaces.ts';
import { withExamples, type CliContext } from './context.ts';
import { formatTable } from './table.ts';

function keyRows(keys: ApiKey[], workspaceNames: Map<string, string>): string[][] {
  return keys.map((key) => [
    key.id,
    workspaceNames.get(key.workspace_id) ?? key.workspace_id,
    key.name ?? '-',
    `${key.prefix}…`,
    key.scopes.join(','),
    key.created_at,
    key.revoked_at ?? '-',
  ]);
}

/** `switchboard keys create|list|revoke`. Secrets are printed once, by `create`, and never listed. */
export function registerKeyCommands(program: Command, cli: CliContext): void {
  const keys = withExamples(program.command('keys').description('manage API keys'), 'switchboard keys create --workspace acme', 'switchboard keys list --json');

  withExamples(
    keys
      .command('create')
      .description('create an API key (and the workspace, if it does not exist); prints the key once')
      .requiredOption('--workspace <name>', 'workspace name')
      .option('--parent <name>', 'agency workspace that manages this one (created if missing)')
      .addOption(new Option('--scopes <list>', `comma-separated: ${SCOPES.join(',')}`).default(DEFAULT_KEY_SCOPES.join(',')))
      .option('--name <label>', 'a label for the key')
      .option('--json', 'print {workspace_id, key_id, key} as JSON'),
    'switchboard keys create --workspace acme --scopes numbers:read,numbers:write --name ci',
  ).action((options: { workspace: string; parent?: string; scopes: string; name?: string; json?: boolean }) =>
    cli.withServices(async (services) => {
      const { parseScopes } = await import('../services/workspaces.ts');
      const scopes = parseScopes(options.scopes);
      const workspace = await services.workspaces.ensureWorkspace(options.workspace, options.parent);
      const created = await services.workspaces.createKey(workspace.id, scopes, options.name ?? null);
      cli.out(options.json ? JSON.stringify({ workspace_id: workspace.id, key_id: created.id, key: created.key }) : created.key);
    }),
  );

  withExamples(
    keys
      .command('list')
      .description('list API keys (id, workspace, label, prefix, scopes, revocation); never the keys themselves')
      .option('--workspace <name>', 'only the keys of this workspace')
      .option('--json', 'print the keys as a JSON array'),
    'switchboard keys list --workspace acme',
  ).action((options: { workspace?: string; json?: boolean }) =>
    cli.withServices(async (services) => {
      const workspace = options.workspace === undefined ? null : await services.workspaces.getWorkspaceByName(options.workspace);
      const listed = await services.workspaces.listKeys(workspace ? operatorActor(workspace.id) : undefined);
      if (options.json) return cli.out(JSON.stringify(listed));
      const names = new Map<string, string>();
      for (const id of new Set(listed.map((key) => key.workspace_id))) names.set(id, (await services.workspaces.getWorkspace(id)).name);
      cli.out(formatTable(['id', 'workspace', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'], keyRows(listed, names)));
    }),
  );

  withExamples(
    keys.command('revoke <key_id>').description('revoke an API key; it stops working at once, on every instance (PostgreSQL: within a second)'),
    'switchboard keys revoke 0193f1de-5a2b-7c3d-8e4f-a1b2c3d4e5f6',
  ).action((keyId: string) =>
    cli.withServices(async (services) => {
      const revoked = await services.workspaces.revokeKey(keyId);
      cli.out(`revoked ${revoked.id}`);
    }),
  );
}
