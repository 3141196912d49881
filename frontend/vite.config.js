// Builds the browser pages into gateway/static, under fixed names the gateway's HTML
// refers to; the built files are committed, so that installing the package needs no Node.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { defineConfig } from "vite";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "gateway/static/graphiql");

function filesUnder(folder, keep) {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

// What the build was made from, hashed: tests/test_graphiql.py makes the same hash of the
// sources as they are, so a source changed without a rebuild fails the tests.
function stampSources() {
  return {
    name: "stamp-sources",
    closeBundle() {
      const files = [...filesUnder("frontend/src", () => true), ...filesUnder("playground", (n) => n.endsWith(".graphql")),
                     "frontend/package-lock.json", "frontend/vite.config.js"].sort();
      const hash = createHash("sha256");
      for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(ROOT, file))).update("\0");
      writeFileSync(join(OUT, "SOURCES"), `${hash.digest("hex")}\n`);
    },
  };
}

export default defineConfig({
  base: "/static/graphiql/",
  plugins: [stampSources()],
  build: {
    outDir: OUT,
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 1200, // GraphiQL with React and its editors: about 1 MB, 340 KB gzipped
    rollupOptions: {
      input: { graphiql: "src/graphiql.js" },
      // React libraries mark modules "use client", which means nothing outside a server
      // components framework; rolldown says so for each of them.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      output: { entryFileNames: "[name].js", chunkFileNames: "[name].js", assetFileNames: "[name][extname]" },
    },
  },
});
