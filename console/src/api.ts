/**
 * The console's connection to the API: the generated typed client (clients/typescript), the API
 * key of this browser tab (sessionStorage: gone when the tab closes, never in a URL or a cookie),
 * and errors as the problem+json the API answers.
 */
import { createSwitchboardClient, type paths } from '../../clients/typescript/index.ts';

export type ApiKey = paths['/v1/api-keys/current']['get']['responses'][200]['content']['application/json'];
export type Scope = ApiKey['scopes'][number];

const STORAGE_KEY = 'switchboard.console.key';

export const session = {
  key: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  signIn: (key: string) => sessionStorage.setItem(STORAGE_KEY, key),
  signOut: () => sessionStorage.removeItem(STORAGE_KEY),
};

export const api = createSwitchboardClient({ baseUrl: '', apiKey: session.key });

export interface FieldIssue {
  field: string;
  message: string;
}

/** An API error: the status, the problem's code and detail, and the fields it names. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldIssue[] = [],
  ) {
    super(detail);
  }

  /** Messages by field (`nickname`, `inbound_agents[1].weight`), for showing next to inputs. */
  get byField(): Record<string, string> {
    return Object.fromEntries(this.errors.map((issue) => [issue.field, issue.message]));
  }
}

let onUnauthorized: (problem: ApiProblem) => void = () => undefined;
/** Called when the API refuses the key (revoked while signed in): the app signs out. */
export function whenUnauthorized(handler: (problem: ApiProblem) => void): void {
  onUnauthorized = handler;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function problemOf(error: unknown, response: Response): ApiProblem {
  const body = (error ?? {}) as Partial<{ code: string; detail: string; title: string; errors: FieldIssue[] }>;
  return new ApiProblem(response.status, body.code ?? `HTTP_${response.status}`, body.detail ?? body.title ?? response.statusText, Array.isArray(body.errors) ? body.errors : []);
}

/** The answer's data, or throws its ApiProblem (a network failure is a status-0 problem). */
export async function call<T>(request: Promise<Answer<T>>): Promise<{ data: T; response: Response }> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (error) {
    throw new ApiProblem(0, 'NETWORK', `the server did not answer (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!answer.response.ok) {
    const problem = problemOf(answer.error, answer.response);
    if (problem.status === 401) onUnauthorized(problem);
    throw problem;
  }
  return { data: answer.data as T, response: answer.response };
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiProblem) return error.status === 0 ? error.detail : `${error.detail} (${error.status} ${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
