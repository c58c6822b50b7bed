// Copies GraphiQL's browser files from the locked npm packages into static/vendor/, where the
// API serves them (/graphiql/vendor/...): the page never loads anything from another site.
// Run after changing a version in package.json: `npm install && npm run vendor`, then commit.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "static", "vendor");
const files = {
  react: ["umd/react.production.min.js"],
  "react-dom": ["umd/react-dom.production.min.js"],
  graphiql: ["graphiql.min.js", "graphiql.min.css"],
  "graphql-ws": ["umd/graphql-ws.min.js"],
};

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const versions = {};
for (const [name, paths] of Object.entries(files)) {
  const root = join(here, "node_modules", name);
  versions[name] = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  for (const path of paths) {
    copyFileSync(join(root, path), join(target, path.split("/").pop()));
  }
  const license = readdirSync(root).find((file) => /^LICENSE/.test(file));
  copyFileSync(join(root, license), join(target, `${name}.LICENSE`));
}
console.log(`static/vendor/: ${JSON.stringify(versions)}`);
