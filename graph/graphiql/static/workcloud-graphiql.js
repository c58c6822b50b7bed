// GraphiQL for WorkCloud Cases: a first tab that shows how to sign in and follow a case, and a
// fetcher whose subscriptions sign in with the Headers tab and stop, saying why, when the
// server refuses them instead of connecting again and again.
(function () {
  "use strict";

  const EXAMPLE = `# WorkCloud Cases: the GraphQL API of this server.
#
# 1. Sign in: put your e-mail and password in Variables
#    below, then run SignIn (the run button, then SignIn).
# 2. Paste the token it answers into Headers below, as
#      {"Authorization": "Bearer <token>"}
#    Everything this tab runs then runs as you.
# 3. Run Cases, put a case id in Variables as "caseId",
#    and run CommentAdded: each comment added to that
#    case appears on the right as it is added.
#
# Ctrl-Enter runs the operation under the cursor,
# Ctrl-Space completes, and the book icon shows the docs.

mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    viewer { kind user { name } }
    userErrors { field message code }
  }
}

query Cases {
  viewer { kind user { name email } }
  cases(first: 10) {
    totalCount
    edges { node { id number title } }
  }
}

subscription CommentAdded($caseId: ID!) {
  commentAdded(caseId: $caseId) {
    id body createdAt author { name }
  }
}
`;

  const EXAMPLE_VARIABLES = `{
  "email": "",
  "password": "",
  "caseId": ""
}
`;

  const HEADER_HINT =
    'Run SignIn and put {"Authorization": "Bearer <token>"} in the Headers tab.';
  // Close codes after which connecting again cannot help: the server refused this client.
  const REFUSALS = {
    1008: "Policy violation",
    4400: "Bad request",
    4401: "Unauthorized",
    4403: "Forbidden",
    4406: "Subprotocol not acceptable",
    4409: "Subscriber already exists",
    4429: "Too many connections or initialisation requests",
  };
  const SIGN_IN_REFUSALS = new Set([4401, 4403]);
  // A connection lost for other reasons is tried again, a few times.
  const RETRY_ATTEMPTS = 3;

  const httpUrl = window.location.origin + window.location.pathname;
  const socketUrl = httpUrl.replace(/^http/, "ws");
  const overHttp = GraphiQL.createFetcher({ url: httpUrl });

  function isCloseEvent(value) {
    return typeof value === "object" && value !== null && typeof value.code === "number";
  }

  function operationType(params, documentAST) {
    const operations = ((documentAST && documentAST.definitions) || []).filter(
      (definition) => definition.kind === "OperationDefinition",
    );
    const chosen = params.operationName
      ? operations.find((op) => op.name && op.name.value === params.operationName)
      : operations[0];
    return chosen ? chosen.operation : "query";
  }

  function failure(error) {
    if (Array.isArray(error)) {
      return { errors: error }; // the server's GraphQL errors for this operation
    }
    if (isCloseEvent(error)) {
      const reason = error.reason || REFUSALS[error.code] || "connection lost";
      const known = error.code in REFUSALS;
      const hint = SIGN_IN_REFUSALS.has(error.code) ? " " + HEADER_HINT : "";
      const message = known
        ? `The server refused the subscription (${error.code} ${reason}).${hint}`
        : `The subscription's connection closed (${error.code} ${reason}), ` +
          `also after ${RETRY_ATTEMPTS} more tries.`;
      return { errors: [{ message, extensions: { closeCode: error.code } }] };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { errors: [{ message: `The subscription failed: ${message}` }] };
  }

  async function* overWebSocket(params, headers) {
    const client = graphqlWs.createClient({
      url: socketUrl,
      // The Headers tab, e.g. {"Authorization": "Bearer <token>"}, signs the socket in.
      connectionParams: headers || {},
      lazy: true,
      retryAttempts: RETRY_ATTEMPTS,
      shouldRetry: (error) => isCloseEvent(error) && !(error.code in REFUSALS),
    });
    try {
      yield* client.iterate(params);
    } catch (error) {
      yield failure(error);
    } finally {
      await client.dispose();
    }
  }

  function fetcher(params, options) {
    const { headers, documentAST } = options || {};
    if (operationType(params, documentAST) === "subscription") {
      return overWebSocket(params, headers);
    }
    return overHttp(params, options);
  }

  const firstVisit = window.localStorage.getItem("graphiql:tabState") === null;
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: [{ query: EXAMPLE, variables: EXAMPLE_VARIABLES }],
      // GraphiQL 4 leaves the first tab's variables out of the editor on a first visit:
      // given until GraphiQL keeps tabs of its own in the browser's storage.
      variables: firstVisit ? EXAMPLE_VARIABLES : undefined,
      defaultEditorToolsVisibility: "variables",
      isHeadersEditorEnabled: true,
      // The token stays in this tab: never written to the browser's storage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
