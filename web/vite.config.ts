import { resolve } from "node:path";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// One entry per page: the console (index.html, served at / and its routes)
// and GraphiQL (graphiql.html, served at /graphiql). The built files are
// committed in dist/ and embedded in the Go binary (package kpiflow/web), so
// that building and running the server needs no Node. Names under assets/
// carry a hash of their content: the server marks them immutable.
//
// `npm run dev` serves the pages with hot reload and sends the API to a
// running server (KPIFLOW_URL, default http://127.0.0.1:8080), WebSockets
// included, so the pages and the API share one origin as in production.
const api = process.env.KPIFLOW_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  base: "/",
  server: {
    proxy: {
      "/graphql": { target: api, ws: true, changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // No inline assets: the page's Content-Security-Policy allows only self.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        console: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
      },
      // A dependency's "use no memo" directive is dropped when bundled, harmlessly.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
