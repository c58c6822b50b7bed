// Every document the client sends. GraphQL Code Generator types them, and writes them to
// src/gql/persisted-documents.json: the server's trusted documents.
import { graphql } from './gql/index.js';

export const SignIn = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      viewer { user { id name } }
      userErrors { field message code }
    }
  }
`);

export const RecentCases = graphql(`
  query RecentCases($first: Int!) {
    cases(first: $first) {
      totalCount
      edges { node { id title } }
    }
  }
`);

export const AddComment = graphql(`
  mutation AddComment($caseId: ID!, $body: String!) {
    addComment(input: { caseId: $caseId, body: $body }) {
      comment { id body }
      userErrors { field message code }
    }
  }
`);

export const CommentAdded = graphql(`
  subscription CommentAdded($caseId: ID!, $after: ID) {
    commentAdded(caseId: $caseId, after: $after) {
      id
      body
      createdAt
      author { name }
    }
  }
`);
