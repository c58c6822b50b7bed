// Signs in, lists the newest cases, comments on the newest one and follows its comments live,
// printing one JSON line per step. A lost connection is resumed from the last comment seen.
//
//   WORKCLOUD_URL       the GraphQL endpoint (default http://127.0.0.1:8000/graphql)
//   WORKCLOUD_EMAIL     a staff user's e-mail
//   WORKCLOUD_PASSWORD  and password
//   WORKCLOUD_COMMENT   the comment to add (default "Hello from the TypeScript client")
//   WORKCLOUD_FOLLOW    exit after this many live comments (default: follow until stopped)
import { GraphQLRequestError, WorkCloud, persisted } from './client.js';
import type { CommentAddedSubscription, CommentAddedSubscriptionVariables } from './gql/graphql.js';
import { AddComment, CommentAdded, RecentCases, SignIn } from './operations.js';

function print(line: object): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const api = new WorkCloud(setting('WORKCLOUD_URL', 'http://127.0.0.1:8000/graphql'));
  const follow = Number(setting('WORKCLOUD_FOLLOW', 'Infinity'));

  const { login } = await api.execute(SignIn, {
    email: setting('WORKCLOUD_EMAIL'),
    password: setting('WORKCLOUD_PASSWORD'),
  });
  if (!login.token) {
    print({ signInRefused: login.userErrors });
    process.exitCode = 1;
    return;
  }
  api.token = login.token;
  print({ signedIn: login.viewer?.user });

  const { cases } = await api.execute(RecentCases, { first: 5 });
  print({ cases: cases.edges.map((edge) => edge.node), totalCount: cases.totalCount });
  const newest = cases.edges[0]?.node;
  if (!newest) {
    print({ error: 'no cases to comment on' });
    process.exitCode = 1;
    return;
  }

  const { addComment } = await api.execute(AddComment, {
    caseId: newest.id,
    body: setting('WORKCLOUD_COMMENT', 'Hello from the TypeScript client'),
  });
  if (!addComment.comment) {
    print({ commentRefused: addComment.userErrors });
    process.exitCode = 1;
    return;
  }
  print({ commented: addComment.comment });

  // Comments after ours, live. graphql-ws sends this same payload again on every reconnect,
  // so keeping `after` at the last comment seen resumes without a gap and without repeats.
  const variables: CommentAddedSubscriptionVariables = { caseId: newest.id, after: addComment.comment.id };
  const client = api.live({
    connected: () => print({ event: 'connected' }),
    closed: (code) => print({ event: 'closed', code }),
  });
  let seen = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      // Over the socket the text goes too (graphql-ws requires it); the server checks its hash.
      const stop = client.subscribe<CommentAddedSubscription>(
        { query: persisted(CommentAdded).text, variables },
        {
          next: (result) => {
            if (result.errors?.length || !result.data) {
              reject(new GraphQLRequestError([...(result.errors ?? [])], 200, null));
              return;
            }
            const comment = result.data.commentAdded;
            variables.after = comment.id;
            print({ comment });
            seen += 1;
            if (seen >= follow) {
              stop();
              resolve();
            }
          },
          error: reject,
          complete: resolve,
        },
      );
    });
  } finally {
    await client.dispose();
  }
  print({ done: true, comments: seen });
}

main().catch((error: unknown) => {
  const detail =
    error instanceof GraphQLRequestError
      ? { code: error.code, message: error.message, retryAfter: error.retryAfter }
      : { message: String((error as { reason?: string })?.reason ?? (error as Error)?.message ?? error) };
  print({ failed: detail });
  process.exitCode = 1;
});
