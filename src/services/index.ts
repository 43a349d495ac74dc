import type { Database } from '../db/database.ts';
import type { SecretBox } from '../domain/secrets.ts';
import { AgentBindingService } from './agent-bindings.ts';
import { ChangeFeed } from './change-feed.ts';
import type { ServiceDeps } from './context.ts';
import { PhoneNumberService } from './phone-numbers/service.ts';
import { WorkspaceService } from './workspaces.ts';

/** Every service of one process, sharing one store. Transports receive this and nothing lower. */
export interface Services {
  deps: ServiceDeps;
  feed: ChangeFeed;
  workspaces: WorkspaceService;
  phoneNumbers: PhoneNumberService;
  agentBindings: AgentBindingService;
}

export function createServices(database: Database, secrets: SecretBox, clock?: () => Date): Services {
  const deps: ServiceDeps = { database, secrets, ...(clock ? { clock } : {}) };
  const feed = new ChangeFeed();
  const phoneNumbers = new PhoneNumberService(deps, feed);
  return {
    deps,
    feed,
    workspaces: new WorkspaceService(deps),
    phoneNumbers,
    agentBindings: new AgentBindingService(phoneNumbers),
  };
}
