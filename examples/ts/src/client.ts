// Talking to WorkCloud Cases: queries and mutations over HTTP by document hash (Apollo's
// automatic persisted queries), subscriptions over WebSocket with graphql-ws.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

import type { TypedDocumentString } from './gql/graphql.js';
import manifest from './gql/persisted-documents.json' with { type: 'json' };

const documents: Record<string, string> = manifest;

/** A GraphQL error, with the code clients act on (docs/clients.md). */
export class GraphQLRequestError extends Error {
  constructor(
    readonly errors: { message: string; extensions?: { code?: string; retryAfter?: number } }[],
    readonly status: number,
    readonly retryAfter: number | null,
  ) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** The document's hash, and its text exactly as the server's trusted-documents manifest has it. */
export function persisted<Result, Variables>(
  document: TypedDocumentString<Result, Variables>,
): { hash: string; text: string } {
  const hash = document.__meta__?.['hash'];
  const text = typeof hash === 'string' ? documents[hash] : undefined;
  if (typeof hash !== 'string' || text === undefined) {
    throw new Error('Document not in persisted-documents.json: run `npm run codegen`.');
  }
  return { hash, text };
}

export class WorkCloud {
  token: string | null = null;

  constructor(readonly httpUrl: string) {}

  get webSocketUrl(): string {
    return this.httpUrl.replace(/^http/, 'ws');
  }

  /** One query or mutation: the hash first; the text too only if the server asks for it. */
  async execute<Result, Variables>(
    document: TypedDocumentString<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    const { hash, text } = persisted(document);
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    let body = await this.post({ variables, extensions });
    // A server without trusted documents learns the text once; then the hash is enough.
    if (body.errors?.[0]?.message === 'PersistedQueryNotFound') {
      body = await this.post({ query: text, variables, extensions });
    }
    if (body.errors?.length) {
      throw new GraphQLRequestError(body.errors, body.status, body.retryAfter);
    }
    return body.data as Result;
  }

  private async post(request: object): Promise<{
    data?: unknown;
    errors?: GraphQLRequestError['errors'];
    status: number;
    retryAfter: number | null;
  }> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json;q=0.9',
    };
    if (this.token) headers['Authorization'] = `Bearer ${this.token}`;
    const response = await fetch(this.httpUrl, { method: 'POST', headers, body: JSON.stringify(request) });
    const retryAfter = response.headers.get('Retry-After');
    const body = (await response.json()) as { data?: unknown; errors?: GraphQLRequestError['errors'] };
    return { ...body, status: response.status, retryAfter: retryAfter === null ? null : Number(retryAfter) };
  }

  /**
   * A WebSocket client that reconnects after a lost connection (backing off up to 10 s) and
   * stops for good when the server closes with 4403: the token is no longer valid, sign in again.
   */
  live(on: { connected: () => void; closed: (code: number) => void }): Client {
    return createClient({
      url: this.webSocketUrl,
      webSocketImpl: WebSocket,
      connectionParams: () => ({ authorization: `Bearer ${this.token}` }),
      retryAttempts: Infinity,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 250 * 2 ** retries))),
      shouldRetry: (event) => !(isCloseEvent(event) && event.code === 4403),
      on: {
        connected: on.connected,
        closed: (event) => on.closed(isCloseEvent(event) ? event.code : 1006),
      },
    });
  }
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}
