// Builds the browser pages (GraphiQL, and the registry app) into gateway/static, under
// fixed names the gateway's HTML refers to; the built files are committed, so that installing the package needs no Node.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { defineConfig } from "vite";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "gateway/static");

function filesUnder(folder, keep) {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

// What the build was made from, hashed: tests/test_graphiql.py makes the same hash of the
// sources as they are, so a source changed without a rebuild fails the tests.
const CONFIGURATION = ["frontend/package-lock.json", "frontend/vite.config.js", "frontend/codegen.yml",
                       "frontend/tsconfig.json"];

function stampSources() {
  return {
    name: "stamp-sources",
    closeBundle() {
      const files = [...filesUnder("frontend/src", () => true), ...filesUnder("playground", (n) => n.endsWith(".graphql")),
                     ...CONFIGURATION].sort();
      const hash = createHash("sha256");
      for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(ROOT, file))).update("\0");
      writeFileSync(join(OUT, "SOURCES"), `${hash.digest("hex")}\n`);
    },
  };
}

export default defineConfig({
  base: "/static/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  plugins: [stampSources()],
  build: {
    outDir: OUT,
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 1200, // GraphiQL with React and its editors: about 1 MB, 340 KB gzipped (the app: a tenth)
    rollupOptions: {
      input: { graphiql: "src/graphiql.js", app: "src/app/main.tsx" },
      // React libraries mark modules "use client", which means nothing outside a server
      // components framework; rolldown says so for each of them.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      output: { entryFileNames: "[name].js", chunkFileNames: "chunks/[name].js", assetFileNames: "[name][extname]" },
    },
  },
});
