// Typed documents from the server's schema, and the persisted-documents manifest that the
// server loads as its trusted documents (WORKCLOUD_TRUSTED_DOCUMENTS).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  // Imports with .js, as Node's ES modules need them.
  emitLegacyCommonJSImports: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: {
        // persisted-documents.json: {"<sha256 of the document>": "<document>"}. The hash
        // must be SHA-256 (the default is SHA-1): the server checks every entry.
        persistedDocuments: { hashAlgorithm: 'sha256' },
        fragmentMasking: false,
      },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', Upload: 'File' },
      },
    },
  },
};

export default config;
